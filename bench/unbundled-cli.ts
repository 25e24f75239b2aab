// The CLI from the modules tsc compiled (dist/src), without the bundle bin/signet prefers: `npm run bench` runs both
// in the same run, so that what bundling saves is measured rather than assumed.
import { main } from "../src/cli/main.js";

await main(process.argv.slice(2));
