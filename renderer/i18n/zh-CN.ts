import type { Strings } from './en.js';

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };

/** Simplified Chinese strings. */
export const zhCN: Widen<Strings> = {
  app: { title: 'Bulkhead', loading: '加载中…', signOut: '退出登录' },
  login: {
    title: '登录',
    username: '用户名',
    password: '密码',
    submit: '登录',
    submitting: '正在登录…',
    failed: '登录失败：{{message}}',
    unreachable: '无法连接服务器。请检查网络后重试。',
    demoHint: '演示用户：op.acme、fin.acme、mgr … 密码 demo1234',
  },
  tenants: {
    label: '客户',
    none: '您目前没有被分配任何客户公司。',
    switchHint: 'Ctrl+{{n}}',
    opening: '正在打开 {{tenant}}…',
  },
  inventory: {
    title: '库存',
    search: '搜索 SKU、名称或条码',
    sku: 'SKU',
    name: '名称',
    barcode: '条码',
    uom: '单位',
    onHand: '现有库存',
    purchasePrice: '采购价',
    empty: '暂无物料。首次同步后将在此显示。',
    noMatch: '没有与“{{query}}”匹配的物料。',
    count: '显示 {{shown}} / 共 {{total}} 个物料',
    pendingMark: '包含尚未同步的更改',
  },
  receive: {
    title: '收货',
    item: '物料（扫描或输入 SKU / 条码）',
    quantity: '数量',
    location: '库位',
    batch: '批次 / 批号（可选）',
    submit: '收货',
    saved: '已收货 {{quantity}} × {{sku}}，入库位 {{location}}。',
    savedOffline: '已收货 {{quantity}} × {{sku}}，入库位 {{location}} — 已保存在本机，联网后同步。',
    unknownItem: '没有 SKU 或条码为“{{code}}”的物料。',
    badQuantity: '数量必须为正数。',
    badLocation: '库位为必填项。',
    notAllowed: '您的角色无权在此客户下记录库存移动。',
    failed: '保存失败：{{message}}',
  },
  sync: {
    online: '在线',
    offline: '离线',
    syncing: '同步中…',
    pending_one: '{{count}} 项更改待同步',
    pending_other: '{{count}} 项更改待同步',
    allSynced: '所有更改已同步',
    lastSync: '上次同步 {{time}}',
    never: '尚未同步',
    firstSync: '正在下载 {{tenant}}：{{done}} / {{total}}',
    error: '同步问题：{{message}}',
  },
  errors: {
    generic: '出错了：{{message}}',
    forbidden: '您已无权访问此客户。',
  },
};
