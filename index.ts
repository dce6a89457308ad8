// The Pulumi program: load and validate the stack config, build the platform, export its outputs as stack outputs.
import { loadConfig } from "./config";
import { createPlatform } from "./components/platform";

const { config, secrets } = loadConfig();
export = createPlatform(config, secrets).outputs;
