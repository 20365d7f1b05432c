// graphql-http's own conformance audit (the GraphQL-over-HTTP spec's
// reference implementation) against a running gateway:
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints every result that isn't "ok", then one summary line; exits 1 unless
// all are ok.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8000/graphql';
const results = await auditServer({ url });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    const reason = 'reason' in result ? result.reason : '';
    console.log(`${result.status}: ${result.name}: ${reason}`);
  }
}
console.log(
  `SUMMARY graphql-http audit: ${counts.ok} of ${results.length} ok, ` +
    `${counts.warn} warnings, ${counts.error} errors, ${counts.notice} notices`,
);
process.exit(counts.ok === results.length ? 0 : 1);
