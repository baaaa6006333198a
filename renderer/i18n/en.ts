/** English strings. Every key here must exist in zh-CN.ts too (a unit test checks). */
export const en = {
  app: {
    title: 'Bulkhead',
    loading: 'Loading…',
    signOut: 'Sign out',
    signingOut: 'Signing out…',
    unsyncedTitle: 'Changes not synced yet',
    unsyncedBody_one:
      '{{count}} change on this PC has not reached the server. This client deletes local data at sign-out, so signing out now would lose it. Stay signed in until it has synced (go online), or discard it.',
    unsyncedBody_other:
      '{{count}} changes on this PC have not reached the server. This client deletes local data at sign-out, so signing out now would lose them. Stay signed in until they have synced (go online), or discard them.',
    staySignedIn: 'Stay signed in',
    discardAndSignOut_one: 'Discard {{count}} change and sign out',
    discardAndSignOut_other: 'Discard {{count}} changes and sign out',
  },
  login: {
    title: 'Sign in',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    submitting: 'Signing in…',
    failed: 'Sign-in failed: {{message}}',
    unreachable: 'The server cannot be reached. Check the network and try again.',
    demoHint: 'Demo users: op.acme, fin.acme, mgr … password demo1234',
    offlineNoData:
      'The server cannot be reached and this PC has no offline sign-in for that user. Sign in once while online.',
    offlineBadPassword: 'Wrong username or password.',
    offlineLocked: 'Too many failed attempts. Try again after {{time}}.',
    offlineTicketInvalid: 'The offline sign-in data on this PC is not valid. Sign in while online.',
    offlineTicketExpired: 'Offline sign-in has expired for this user. Sign in while online.',
  },
  session: {
    offline: 'Signed in offline: changes stay on this PC until the server can be reached.',
    needsSignIn: 'The server needs you to sign in again before changes can sync. Nothing is lost.',
    signInAgain: 'Sign in again',
    password: 'Password',
  },
  update: {
    downloading: 'Downloading update {{version}}: {{percent}} %',
    ready: 'Update {{version}} is ready.',
    restart: 'Restart now',
  },
  access: {
    lost: 'Your access to {{tenant}} has ended; its data was removed from this PC.',
  },
  tenants: {
    label: 'Client',
    none: 'You have no client companies assigned right now.',
    switchHint: 'Ctrl+{{n}}',
    opening: 'Opening {{tenant}}…',
  },
  inventory: {
    title: 'Inventory',
    search: 'Search SKU, name or barcode',
    sku: 'SKU',
    name: 'Name',
    barcode: 'Barcode',
    uom: 'Unit',
    onHand: 'On hand',
    purchasePrice: 'Purchase price',
    empty: 'No items yet. They appear here after the first sync.',
    noMatch: 'No item matches “{{query}}”.',
    count: '{{shown}} of {{total}} items',
    pendingMark: 'includes changes not yet synced',
  },
  receive: {
    title: 'Receive stock',
    item: 'Item (scan or type SKU / barcode)',
    quantity: 'Quantity',
    location: 'Location',
    batch: 'Batch / lot (optional)',
    submit: 'Receive',
    saved: 'Received {{quantity}} × {{sku}} into {{location}}.',
    savedOffline:
      'Received {{quantity}} × {{sku}} into {{location}} — saved on this PC, will sync when online.',
    unknownItem: 'No item with SKU or barcode “{{code}}”.',
    badQuantity: 'Quantity must be a positive number.',
    badLocation: 'Location is required.',
    notAllowed: 'Your role cannot record stock movements in this client.',
    failed: 'Could not save: {{message}}',
  },
  sync: {
    online: 'Online',
    offline: 'Offline',
    syncing: 'Syncing…',
    pending_one: '{{count}} change waiting to sync',
    pending_other: '{{count}} changes waiting to sync',
    allSynced: 'All changes synced',
    lastSync: 'Last sync {{time}}',
    never: 'Not synced yet',
    firstSync: 'Downloading {{tenant}}: {{done}} of {{total}}',
    error: 'Sync problem: {{message}}',
  },
  errors: {
    generic: 'Something went wrong: {{message}}',
    forbidden: 'You no longer have access to this client.',
  },
} as const;

/** The shape every locale must have. */
export type Strings = typeof en;
