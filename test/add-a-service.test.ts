/**
 * docs/development.md's "Add a service", proven: a ninth service built in memory (the registry file is untouched) passes
 * every check of the recipe complete, and each check names it when it lacks exactly that check's part. The checks are
 * the ones the tests over the real registry run (test/service-recipe.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { ServiceContract, SERVICES } from "../config";
import { PROJECT_DIR } from "../tools/stackfile";
import { projectInputs, RECIPE, RecipeInputs } from "./service-recipe";

type Step = keyof typeof RECIPE;
const STEPS = Object.keys(RECIPE) as Step[];

describe("Add a service recipe (docs/development.md)", () => {
    const project = projectInputs();
    const NEW = "alarmRouter";
    // route-delivery's contract under a new name, image and source folder.
    const entry: ServiceContract = {
        ...SERVICES.routeDelivery,
        description: "Alarm router (the recipe test's ninth service)",
        repository: "pulse/alarm-router",
        source: "services/alarm_router",
    };
    const complete: RecipeInputs = {
        services: { ...project.services, [NEW]: entry },
        facts: { ...project.facts, [NEW]: project.facts.routeDelivery },
        dockerfile: `${project.dockerfile}\nFROM service AS alarm-router\nCMD ["python", "/app/router.py"]\n`,
        bake: {
            ...project.bake,
            group: { default: { targets: [...project.bake.group.default.targets, "alarm-router"] } },
            target: {
                ...project.bake.target,
                "alarm-router": {
                    inherits: ["_pulse"],
                    target: "alarm-router",
                    tags: ["${REGISTRY}pulse/alarm-router:${VERSION}"],
                    args: { SOURCE: "services/alarm_router" },
                },
            },
        },
        reference: `${project.reference}\n#### \`pulse:${NEW}\`\n`,
        stackSchema: {
            properties: { config: { properties: { ...project.stackSchema.properties.config.properties, [`pulse:${NEW}`]: { type: "object" } } } },
        },
    };

    /** Per step: the ninth service lacking exactly that step's part, and what the step's check says. */
    const LACKING: Record<Step, { readonly what: string; readonly inputs: RecipeInputs; readonly problems: readonly string[] }> = {
        facts: {
            what: "its facts",
            inputs: { ...complete, facts: project.facts },
            problems: [`${NEW}: no facts (FACTS, test/service-facts.ts)`],
        },
        imageStage: {
            what: "its stage in images/Dockerfile",
            inputs: { ...complete, dockerfile: project.dockerfile },
            problems: [`${NEW} (pulse/alarm-router): no stage alarm-router in images/Dockerfile`],
        },
        bakeTarget: {
            what: "its target in images/docker-bake.json",
            inputs: { ...complete, bake: project.bake },
            problems: [`${NEW} (pulse/alarm-router): no target alarm-router in images/docker-bake.json`],
        },
        variableSources: {
            what: "a source for a variable it reads",
            inputs: { ...complete, services: { ...complete.services, [NEW]: { ...entry, reads: [...entry.reads, "ALARM_ROUTES_URL"] } } },
            problems: [`${NEW} reads ALARM_ROUTES_URL, for which the platform has no source (components/serviceEnv.ts, or SECRET_ENV in config/services.ts)`],
        },
        generated: {
            what: "the regenerated reference and stack schema",
            inputs: { ...complete, reference: project.reference, stackSchema: project.stackSchema },
            problems: [
                `${NEW}: no section \`pulse:${NEW}\` in docs/configuration.md (run npm run docs:config)`,
                `${NEW}: no key pulse:${NEW} in docs/pulse-stack.schema.json (run npm run docs:config)`,
            ],
        },
    };

    it("the complete ninth service passes every step's check", () => {
        for (const step of STEPS) expect(RECIPE[step].check(complete), step).to.deep.equal([]);
    });

    for (const step of STEPS) {
        it(`without ${LACKING[step].what}: the ${step} check names the service and the part, every other check passes`, () => {
            const { inputs, problems } = LACKING[step];
            expect(RECIPE[step].check(inputs)).to.deep.equal(problems);
            for (const other of STEPS.filter((s) => s !== step)) expect(RECIPE[other].check(inputs), other).to.deep.equal([]);
        });
    }

    it("the parts without the entry: the facts and the bake checks name what is left over", () => {
        const leftover = { ...complete, services: project.services };
        expect(RECIPE.facts.check(leftover)).to.deep.equal([`${NEW}: facts of a service the registry lacks (FACTS, test/service-facts.ts)`]);
        expect(RECIPE.bakeTarget.check(leftover)).to.deep.equal(["group default: alarm-router is no image of the registry"]);
    });

    it("an entry that contradicts its facts is named, each difference", () => {
        const contradicting = {
            ...complete,
            facts: { ...complete.facts, [NEW]: { ...project.facts.routeDelivery, port: 8081, single: true, required: ["SMTP_HOST"] } },
        };
        expect(RECIPE.facts.check(contradicting)).to.deep.equal([
            `${NEW}: port is 8080 in the registry, 8081 in its facts`,
            `${NEW}: singleton is false in the registry, true in its facts`,
            `${NEW}: does not read SMTP_HOST, which its facts require`,
        ]);
    });

    it("the Add a service section of docs/development.md names each step's place and this test", () => {
        const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "development.md"), "utf8");
        const section = doc.slice(doc.indexOf("## Add a service"), doc.indexOf("\n## ", doc.indexOf("## Add a service") + 1));
        for (const step of [...STEPS.map((s) => RECIPE[s].named), "test/add-a-service.test.ts"]) expect(section, step).to.include(`\`${step}\``);
    });
});
