// graphql-codegen: TypeScript types for the gateway's schema and for the
// operations in src/operations.ts, plus the `possibleTypes` map that Apollo
// Client and urql's graphcache need to match fragments on the `Session` and
// `Node` interfaces (without it Apollo silently drops `... on JumpingSession`
// fields), and the schema as urql's graphcache reads it. `npm run codegen`
// rewrites src/generated/.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  // The SDL the gateway prints (`make schema`); a running gateway's URL works too.
  schema: '../../schema/schema.graphql',
  // Relative imports with their `.js`, as ES modules under node16 resolution need.
  emitLegacyCommonJSImports: false,
  documents: ['src/operations.ts'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-operations'],
      config: {
        // Every custom scalar as what goes over the wire, never `unknown`.
        scalars: {
          FloatSeries: { input: '(number | null)[]', output: '(number | null)[]' },
          DateTime: { input: 'string', output: 'string' },
          Date: { input: 'string', output: 'string' },
          Upload: { input: 'Blob', output: 'never' },
        },
        strictScalars: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true },
      },
    },
    'src/generated/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
    // Trusted documents: the client preset writes persisted-documents.json,
    // {sha256: document} for every operation, which the gateway reads with
    // GATEWAY_TRUSTED_DOCUMENTS; apps then send `documentId` alone (trusted.ts).
    'src/generated/gql/': {
      preset: 'client',
      presetConfig: { persistedDocuments: { hashAlgorithm: 'sha256' }, fragmentMasking: false },
    },
    // urql's graphcache reads the schema itself (interfaces, nullability).
    'src/generated/urql-schema.ts': {
      plugins: ['urql-introspection'],
      config: { module: 'es2015' },
    },
  },
};

export default config;
