/** Strings of the anomaly alerts screen (English and Simplified Chinese). */
export const alertsStrings = {
  en: {
    title: 'Alerts',
    intro: 'Unusual activity in this client. Acknowledge an alert once someone has looked into it.',
    includeAcknowledged: 'Include acknowledged alerts',
    refresh: 'Refresh',
    loading: 'Loading alerts…',
    empty: 'No open alerts.',
    emptyAll: 'No alerts.',
    failed: 'Alerts could not be loaded: {{message}}',
    count_one: '{{count}} alert',
    count_other: '{{count}} alerts',
    columns: {
      rule: 'What',
      user: 'User',
      window: 'When',
      count: 'Count',
      source: 'Raised by',
      status: 'Status',
      actions: 'Actions',
    },
    rules: {
      'rapid-changes': {
        title: 'Many changes in a short time',
        sentence_one: '{{count}} change by {{user}} in the window (limit: {{limit}} within {{minutes}} min).',
        sentence_other:
          '{{count}} changes by {{user}} in the window (limit: {{limit}} within {{minutes}} min).',
      },
      'off-hours': {
        title: 'Outside working hours',
        sentence_one:
          '{{count}} destructive change or export by {{user}} outside working hours on {{date}} ({{timeZone}}).',
        sentence_other:
          '{{count}} destructive changes or exports by {{user}} outside working hours on {{date}} ({{timeZone}}).',
      },
      'rejected-pushes': {
        title: 'Changes repeatedly refused',
        sentence_one:
          'The server refused {{count}} change from {{user}} (limit: {{limit}} within {{minutes}} min).',
        sentence_other:
          'The server refused {{count}} changes from {{user}} (limit: {{limit}} within {{minutes}} min).',
      },
      'first-grant-access': {
        title: 'First access through a temporary grant',
        sentence_one: '{{user}} worked in this client for the first time, through a temporary grant.',
        sentence_other: '{{user}} worked in this client for the first time, through a temporary grant.',
      },
      unknown: 'Rule “{{rule}}”: {{count}} by {{user}}.',
    },
    source: {
      server: 'Server',
      client: 'A PC while offline',
    },
    status: {
      open: 'Open',
      acknowledged: 'Acknowledged by {{user}}, {{time}}',
    },
    ack: {
      button: 'Acknowledge',
      label: 'Acknowledge the alert about {{user}}: {{rule}}',
      working: 'Acknowledging…',
      done: 'Alert acknowledged.',
      failed: 'The alert was not acknowledged: {{message}}',
    },
    errors: {
      offline: 'Alerts need a connection to the server. Try again when you are online.',
      forbidden: 'Your role may not see alerts here: {{message}}',
      noTenant: 'Open a client first.',
      notAllowed: 'Only managers and admins of this client see its alerts.',
    },
  },
  zhCN: {
    title: '警报',
    intro: '此客户中的异常活动。有人核查后，请确认该警报。',
    includeAcknowledged: '包括已确认的警报',
    refresh: '刷新',
    loading: '正在加载警报…',
    empty: '没有未处理的警报。',
    emptyAll: '没有警报。',
    failed: '无法加载警报：{{message}}',
    count_one: '共 {{count}} 条警报',
    count_other: '共 {{count}} 条警报',
    columns: {
      rule: '事件',
      user: '用户',
      window: '时间段',
      count: '次数',
      source: '来源',
      status: '状态',
      actions: '操作',
    },
    rules: {
      'rapid-changes': {
        title: '短时间内大量更改',
        sentence_one:
          '{{user}} 在该时间段内进行了 {{count}} 次更改（上限：{{minutes}} 分钟内 {{limit}} 次）。',
        sentence_other:
          '{{user}} 在该时间段内进行了 {{count}} 次更改（上限：{{minutes}} 分钟内 {{limit}} 次）。',
      },
      'off-hours': {
        title: '非工作时间操作',
        sentence_one: '{{user}} 于 {{date}}（{{timeZone}}）在非工作时间进行了 {{count}} 次破坏性更改或导出。',
        sentence_other:
          '{{user}} 于 {{date}}（{{timeZone}}）在非工作时间进行了 {{count}} 次破坏性更改或导出。',
      },
      'rejected-pushes': {
        title: '更改屡次被拒绝',
        sentence_one: '服务器拒绝了 {{user}} 的 {{count}} 项更改（上限：{{minutes}} 分钟内 {{limit}} 次）。',
        sentence_other:
          '服务器拒绝了 {{user}} 的 {{count}} 项更改（上限：{{minutes}} 分钟内 {{limit}} 次）。',
      },
      'first-grant-access': {
        title: '首次通过临时授权访问',
        sentence_one: '{{user}} 首次通过临时授权在此客户中操作。',
        sentence_other: '{{user}} 首次通过临时授权在此客户中操作。',
      },
      unknown: '规则“{{rule}}”：{{user}}，{{count}} 次。',
    },
    source: {
      server: '服务器',
      client: '离线电脑',
    },
    status: {
      open: '未处理',
      acknowledged: '已由 {{user}} 于 {{time}} 确认',
    },
    ack: {
      button: '确认',
      label: '确认关于 {{user}} 的警报：{{rule}}',
      working: '正在确认…',
      done: '警报已确认。',
      failed: '警报未能确认：{{message}}',
    },
    errors: {
      offline: '警报需要连接服务器，请联网后重试。',
      forbidden: '您的角色在此无权查看警报：{{message}}',
      noTenant: '请先打开一个客户。',
      notAllowed: '只有此客户的经理和管理员可以查看其警报。',
    },
  },
};
