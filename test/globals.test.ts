import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { globalsOf } from "../components/globals";
import { config } from "./helpers";

const COMPONENTS = path.join(__dirname, "..", "components");

describe("globals (what every component shares)", () => {
    it("are global.*, appVersion, helm and the namespace, resolved from the config", () => {
        const c = config({
            namespace: "iot",
            appVersion: "2.1.0",
            global: { imageRegistry: "mirror.example.com", imagePullSecrets: ["regcred"], awaitReadiness: false },
            helm: { stuckAfterSeconds: 1200 },
        });
        expect(globalsOf(c)).to.deep.equal({
            ...c.global,
            namespace: "iot",
            namespaceName: "iot",
            appVersion: "2.1.0",
            helm: { recoverStuckReleases: true, stuckAfterSeconds: 1200 },
        });
        // The Platform passes the Namespace's name (an output): objects wait for the Namespace; the plain name stays.
        expect(globalsOf(c, "other")).to.include({ namespace: "other", namespaceName: "iot" });
    });

    it("no component but the Platform takes the whole PulseConfig: each takes its sections", () => {
        const wholeConfig = /:\s*PulseConfig\s*[;,)=]/;
        const offenders = fs
            .readdirSync(COMPONENTS)
            // releases.ts is no component: the releases' values builders, each over a whole config, as the platform calls them.
            .filter((f) => f.endsWith(".ts") && !["platform.ts", "globals.ts", "releases.ts"].includes(f))
            .filter((f) => wholeConfig.test(fs.readFileSync(path.join(COMPONENTS, f), "utf8")));
        expect(offenders).to.deep.equal([]);
        expect(wholeConfig.test("readonly config: PulseConfig;"), "the check can fail").to.equal(true);
    });
});
