import { mintDevToken } from './demo/mint-token.js';

// `npm run token -- --client ferry-admin --scope admin:read`: prints a development token (see mint-token.ts).
try {
  console.log(mintDevToken(process.argv.slice(2), process.env));
} catch (e) {
  console.error(`npm run token: ${(e as Error).message}`);
  process.exit(2);
}
