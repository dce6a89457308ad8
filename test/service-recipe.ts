/**
 * docs/development.md's "Add a service" as checks: each step of the recipe with the check that names a service lacking
 * its part. The tests over the real registry call the same checks (test/services.test.ts, test/images.test.ts,
 * test/reference.test.ts); test/add-a-service.test.ts proves that each names a ninth service lacking its part.
 */
import * as fs from "fs";
import * as path from "path";
import { unsourcedReads } from "../components/serviceEnv";
import { ServiceContract, SERVICES } from "../config";
import { REFERENCE_DOC } from "../tools/reference";
import { STACK_SCHEMA_FILE } from "../tools/stackSchema";
import { PROJECT_DIR } from "../tools/stackfile";
import { Bake, BAKE_FILE, bakeProblems, DOCKERFILE, imageProblems } from "./images";
import { FACTS, factsProblems, ServiceFacts } from "./service-facts";

/** docs/pulse-stack.schema.json, as far as the checks read it: the stack file's config keys. */
export interface StackSchema {
    readonly properties: { readonly config: { readonly properties: Readonly<Record<string, unknown>> } };
}

/** What the recipe's checks read: the registry and everything the recipe adds beside it. */
export interface RecipeInputs {
    readonly services: Readonly<Record<string, ServiceContract>>;
    readonly facts: Readonly<Record<string, ServiceFacts>>;
    readonly dockerfile: string;
    readonly bake: Bake;
    /** The generated config reference (docs/configuration.md). */
    readonly reference: string;
    readonly stackSchema: StackSchema;
}

/** The project's own: the real registry, facts, image files and generated files. */
export function projectInputs(): RecipeInputs {
    const read = (file: string) => fs.readFileSync(path.resolve(PROJECT_DIR, file), "utf8");
    return {
        services: SERVICES,
        facts: FACTS,
        dockerfile: read(DOCKERFILE),
        bake: JSON.parse(read(BAKE_FILE)),
        reference: read(REFERENCE_DOC),
        stackSchema: JSON.parse(read(STACK_SCHEMA_FILE)),
    };
}

/**
 * Each service's section in what `npm run docs:config` generates from the registry: its heading in the config reference
 * and its key in the stack schema. test/reference.test.ts and test/stack-schema.test.ts compare the whole files.
 */
export function generatedProblems(services: Readonly<Record<string, unknown>>, reference: string, stackSchema: StackSchema): string[] {
    return Object.keys(services).flatMap((s) => [
        ...(new RegExp(`^#{3,4} \`pulse:${s}\`$`, "m").test(reference)
            ? []
            : [`${s}: no section \`pulse:${s}\` in ${REFERENCE_DOC} (run npm run docs:config)`]),
        ...(`pulse:${s}` in stackSchema.properties.config.properties ? [] : [`${s}: no key pulse:${s} in ${STACK_SCHEMA_FILE} (run npm run docs:config)`]),
    ]);
}

interface RecipeStep {
    /** What the "Add a service" section names for the step, in backticks. */
    readonly named: string;
    readonly check: (inputs: RecipeInputs) => string[];
}

/** The recipe's steps after the entry itself (which tsc checks), each with its check. */
export const RECIPE = {
    facts: { named: "test/service-facts.ts", check: (i) => factsProblems(i.services, i.facts) },
    imageStage: { named: "images/Dockerfile", check: (i) => imageProblems(i.dockerfile, i.services) },
    bakeTarget: { named: "images/docker-bake.json", check: (i) => bakeProblems(i.bake, i.services) },
    variableSources: { named: "components/serviceEnv.ts", check: (i) => unsourcedReads(i.services) },
    generated: { named: "npm run docs:config", check: (i) => generatedProblems(i.services, i.reference, i.stackSchema) },
} as const satisfies Record<string, RecipeStep>;
