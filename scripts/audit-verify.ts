/**
 * `npm run audit:verify`: verifies a tenant's audit hash chain for auditors, through the API
 * (`--url --tenant --user`, password from BULKHEAD_PASSWORD or a prompt) or straight from the
 * database as its owner (`--database-url`, snapshots checked too). Exit code 0 intact, 1 broken.
 */
import { runAuditVerify, terminalPrompt } from '../server/audit/verify-cli.js';

const code = await runAuditVerify(process.argv.slice(2), process.env, {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  prompt: process.stdin.isTTY ? terminalPrompt : undefined,
});
process.exit(code);
