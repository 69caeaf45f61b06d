/** The ObjectTarget conformance suite on Ceph RGW, and on Swift's s3api where it runs (CI). */
import { runTargetConformance } from '../conformance/object-target-conformance.js';
import { rgwServer, swiftServer } from '../support/s3-server.js';

runTargetConformance('rgw', rgwServer, {
  conditionalPut: true,
  maxPartNumber: 10_000,
  listPartsGoneAfterComplete: true,
  unknownKeyCode: 'ERR_S3_UNKNOWN_ACCESS_KEY',
  storesCannedAcl: true,
});
const swift = swiftServer();
if (swift !== undefined)
  runTargetConformance('swift', () => Promise.resolve(swift), {
    conditionalPut: false,
    maxPartNumber: 1000,
    listPartsGoneAfterComplete: false,
    unknownKeyCode: 'ERR_S3_SIGNATURE_MISMATCH',
    storesCannedAcl: false,
  });
