import { expect } from "chai";
import { PulseConfig } from "../config";
import { RecordedResource } from "../tools/mocks";
import { build, buildComponent, CI_STACK_FILE, COMPONENT_KEYS, config, stackConfig } from "./helpers";

/** A registration without what a component alone cannot have: its dependencies on the other components. */
const own = ({ dependencies: _, ...rest }: RecordedResource) => rest;

/**
 * A component built alone (test/helpers.ts `buildComponent`) is the platform's, so a test of its own resources may take
 * it instead of the whole build: the same registrations, inputs and options, and dependencies the platform's include.
 */
describe("component builds", () => {
    const configs: readonly (readonly [string, () => PulseConfig])[] = [
        ["the defaults", () => config()],
        ["the CI fixture", () => stackConfig(CI_STACK_FILE)],
        [
            "everything external",
            () =>
                config({
                    secrets: { external: true },
                    postgresql: { enabled: false },
                    externalDatabase: { enabled: true, host: "db.example.com" },
                    emqx: { enabled: false, externalHost: "mqtt.example.com" },
                    nats: { enabled: false, externalUrl: "nats://nats.example.com:4222" },
                    keycloak: { enabled: false, external: { issuerUrl: "https://id.example.com/realms/pulse" } },
                    ingress: { enabled: false },
                }),
        ],
    ];
    for (const [name, cfg] of configs) {
        it(`${name}: each component alone registers exactly its part of the platform, as the platform registers it`, async () => {
            const c = cfg();
            const whole = (await build(c)).resources;
            const byUrn = new Map(whole.map((r) => [r.urn, r]));
            const stage = new Set((await buildComponent("credentials", c)).resources.map((r) => r.urn));
            // The stage itself: the platform, its Namespace and the credentials stage, as the platform registers them.
            expect(stage.size).to.be.greaterThan(1);
            for (const key of COMPONENT_KEYS) {
                const { component, resources: alone } = await buildComponent(key, c);
                for (const r of alone) {
                    const p = byUrn.get(r.urn);
                    expect(p, `${key}: the platform has ${r.urn}`).not.to.equal(undefined);
                    expect(own(r), `${key}: ${r.urn}`).to.deep.equal(own(p!));
                    expect(p!.dependencies, `${key}: ${r.urn}'s dependencies`).to.include.members([...r.dependencies]);
                }
                // ...and every resource the platform registers under the component.
                const mine = new Set(alone.filter((r) => !stage.has(r.urn)).map((r) => r.urn));
                expect(mine.size > 0, `${key}: registers itself`).to.equal(component !== undefined);
                const under = (r: RecordedResource): boolean => mine.has(r.parent) || (byUrn.has(r.parent) && under(byUrn.get(r.parent)!));
                const missing = whole.filter((r) => under(r) && !mine.has(r.urn)).map((r) => r.urn);
                expect(missing, `${key}: what the platform registers under it`).to.deep.equal([]);
                expect(
                    [...stage].filter((u) => !alone.some((r) => r.urn === u)),
                    `${key}: the stage`,
                ).to.deep.equal([]);
            }
        });
    }
});
