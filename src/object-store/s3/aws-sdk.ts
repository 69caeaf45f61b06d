/**
 * The AWS SDK's modules, loaded with require() rather than import.
 *
 * They are CommonJS. Imported from an ES module, Node 20 passes them (and, through them, every
 * module they require) through its ES loader and its export lexer: loading client-s3,
 * signature-v4 and node-http-handler that way cost about 230 ms of CPU against about 110 ms with
 * require() (bench/optimizations.md), paid by every `s3ferry upload` at start. The types come from
 * the packages themselves (`import type`), so nothing is lost to the compiler.
 */
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import type * as HttpHandler from '@smithy/node-http-handler';
import type * as SigV4 from '@smithy/signature-v4';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `@aws-sdk/client-s3`: the client and its commands. */
export const s3 = require('@aws-sdk/client-s3') as typeof ClientS3;

/** `@smithy/node-http-handler`: the SDK's request handler. */
export const httpHandler = require('@smithy/node-http-handler') as typeof HttpHandler;

/** `@smithy/signature-v4`: the SDK's SigV4 signer. */
export const sigV4 = require('@smithy/signature-v4') as typeof SigV4;

/** `@aws-sdk/s3-request-presigner`, loaded on first use: only presigned links need it. */
export function presigner(): typeof Presigner {
  return require('@aws-sdk/s3-request-presigner') as typeof Presigner;
}
