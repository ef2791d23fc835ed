// The package's internals are not part of its API: none of these resolve.
// @ts-expect-error QuoteBook is internal (tickerd-core.js), not exported by the main entry
import { QuoteBook } from "@tickerd/client";
// @ts-expect-error tickerd-core.js is not in the package's exports
import * as core from "@tickerd/client/tickerd-core.js";
// @ts-expect-error the main entry does not carry the bar
import { mountTicker } from "@tickerd/client";
export { QuoteBook, core, mountTicker };
