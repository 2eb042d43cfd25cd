// 50 concurrent getAccessToken() calls on one official client object, cold, against the emulator.
// Usage: node concurrency.mjs <authority> <clientId> <clientSecret> <count>
import { ServiceAuthorizationClient } from "@itwin/service-authorization";

const [authority, clientId, clientSecret, count] = process.argv.slice(2);
const client = new ServiceAuthorizationClient({ clientId, clientSecret, scope: "itwin-platform", authority });
const tokens = await Promise.all(Array.from({ length: Number(count) }, () => client.getAccessToken()));
console.log(JSON.stringify({ calls: tokens.length, distinct: new Set(tokens).size }));
