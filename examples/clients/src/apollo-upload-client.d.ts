// apollo-upload-client ships JavaScript with JSDoc types only: its link, as
// TypeScript sees it.
declare module 'apollo-upload-client/UploadHttpLink.mjs' {
  import { ApolloLink, type HttpLink } from '@apollo/client';

  export default class UploadHttpLink extends ApolloLink {
    constructor(options?: HttpLink.Options & { isExtractableFile?: (value: unknown) => boolean });
  }
}
