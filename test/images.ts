/**
 * The Pulse images' build definition as the tests read it: images/Dockerfile's stages through a real Dockerfile parser
 * and linter (dockerfile-ast, dockerfile-utils: the parser of VS Code's Docker support), and the checks of it and of
 * images/docker-bake.json against a service registry (the real one, or the Add a service recipe's synthetic one).
 */
import * as path from "path";
import { Copy, DockerfileParser, Dockerfile, From, Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { parseConfig, ServiceContract } from "../config";
import { PROJECT_DIR } from "../tools/stackfile";

export const DOCKERFILE = path.join(PROJECT_DIR, "images", "Dockerfile");
export const BAKE_FILE = path.join(PROJECT_DIR, "images", "docker-bake.json");
/** The uid the pods run as (each service's `runAsUser` default), which the images' files must serve. */
const POD_UID = parseConfig({}).ingest.runAsUser;
/** The migrator's image, beside the services'. */
const MIGRATOR_REPOSITORY = parseConfig({}).migrator.image.repository;

/** The registry as the images see it: each service's image repository and Pulse source folder, by config key. */
export type ImageRegistry = Readonly<Record<string, Pick<ServiceContract, "repository" | "source">>>;

/** images/docker-bake.json, as far as the checks read it. */
export interface Bake {
    readonly group: { readonly default: { readonly targets: readonly string[] } };
    readonly target: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
    readonly variable: Readonly<Record<string, { readonly default: string }>>;
}

interface Stage {
    readonly name: string;
    readonly base: string;
    readonly instructions: Instruction[];
}

/** The Dockerfile's stages, each with the instructions after its FROM; base images with their ARG defaults applied. */
export function stagesOf(dockerfile: Dockerfile): Stage[] {
    const defaults = new Map(dockerfile.getInitialARGs().map((a) => [a.getProperty()?.getName() ?? "", a.getProperty()?.getValue() ?? ""]));
    const resolve = (image: string) => image.replace(/\$\{(\w+)\}/g, (_, name: string) => defaults.get(name) ?? `\${${name}}`);
    const stages: Stage[] = [];
    for (const i of dockerfile.getInstructions()) {
        if (i instanceof From) stages.push({ name: i.getBuildStage() ?? "", base: resolve(i.getImage() ?? ""), instructions: [] });
        else stages[stages.length - 1]?.instructions.push(i);
    }
    return stages;
}

/** `--from=<source> <paths...> <destination>` of each COPY of a stage. */
export function copiesOf(stage: Stage): { from?: string; sources: string[]; destination: string }[] {
    return stage.instructions
        .filter((i): i is Copy => i instanceof Copy)
        .map((c) => {
            const args = c.getArguments().map((a) => a.getValue());
            const from = c.getFromFlag()?.getValue() ?? undefined;
            return { from, sources: args.slice(0, -1), destination: args[args.length - 1] };
        });
}

/** The stage and the stages it is built on, nearest first. */
function chainOf(stage: Stage, byName: ReadonlyMap<string, Stage>): Stage[] {
    const chain = [stage];
    for (let base = byName.get(stage.base); base; base = byName.get(base.base)) chain.push(base);
    return chain;
}

/** The last instruction of a kind in effect for a stage (its own, else its bases'). */
const inEffect = (chain: readonly Stage[], keyword: string) => chain.flatMap((st) => [...st.instructions].reverse()).find((i) => i.getKeyword() === keyword);

/** An image's stage and bake target: its repository's last segment (pulse/ingest-iot: ingest-iot). */
const imageName = (repository: string) => repository.slice(repository.lastIndexOf("/") + 1);

/** Every image the stacks run: each registry service's (`who` names the service and its repository) and the migrator's. */
function imagesOf(services: ImageRegistry): { who: string; repository: string; source?: string }[] {
    return [
        ...Object.entries(services).map(([name, s]) => ({ who: `${name} (${s.repository})`, repository: s.repository, source: s.source })),
        { who: `migrator (${MIGRATOR_REPOSITORY})`, repository: MIGRATOR_REPOSITORY },
    ];
}

/** The problems of a Dockerfile's text: the linter's errors, then each registry image's stage that is missing or wrong. */
export function imageProblems(text: string, services: ImageRegistry): string[] {
    const errors = validate(text).filter((d) => d.severity === 1);
    if (errors.length > 0) return errors.map((d) => `line ${d.range.start.line + 1}: ${typeof d.message === "string" ? d.message : d.message.value}`);
    const stages = stagesOf(DockerfileParser.parse(text));
    const byName = new Map(stages.map((s) => [s.name, s]));
    const problems: string[] = [];
    for (const s of stages.filter((s) => !byName.has(s.base))) {
        const tag = /:([^:@/]+)$/.exec(s.base)?.[1];
        if (!tag || !/^\d+\.\d+\.\d+-/.test(tag)) problems.push(`stage ${s.name}: base image ${s.base} is not pinned to a patch release`);
    }
    for (const { who, repository, source } of imagesOf(services)) {
        const name = imageName(repository);
        const stage = byName.get(name);
        if (!stage) {
            problems.push(`${who}: no stage ${name} in images/Dockerfile`);
            continue;
        }
        const chain = chainOf(stage, byName);
        const fromPulse = chain.flatMap((st) =>
            copiesOf(st)
                .filter((c) => c.from === "pulse")
                .flatMap((c) => c.sources),
        );
        // Every service imports the shared package; upstream's Dockerfiles leave it out of some. Its own folder is SOURCE.
        if (source !== undefined && !(fromPulse.includes("${SOURCE}/") && fromPulse.includes("services/shared/"))) {
            problems.push(`${name}: does not copy its folder (\${SOURCE}/) and services/shared/`);
        }
        if (inEffect(chain, "USER")?.getArgumentsContent() !== `${POD_UID}:${POD_UID}`) problems.push(`${name}: does not run as USER ${POD_UID}:${POD_UID}`);
        if (!stage.instructions.some((i) => i.getKeyword() === "CMD")) problems.push(`${name}: has no CMD of its own`);
    }
    return problems;
}

/**
 * The problems of a bake file against the registry: each image without its target, not in the default group, or whose
 * target is not the one the stacks expect (its stage, `${REGISTRY}<repository>:${VERSION}`, a service's SOURCE folder);
 * targets of the default group no image has. Whether the stage exists is imageProblems' (the target is the stage's name).
 */
export function bakeProblems(bake: Bake, services: ImageRegistry): string[] {
    const images = imagesOf(services);
    const names = images.map((i) => imageName(i.repository));
    const problems = bake.group.default.targets.filter((t) => !names.includes(t)).map((t) => `group default: ${t} is no image of the registry`);
    for (const { who, repository, source } of images) {
        const name = imageName(repository);
        const target = bake.target[name];
        if (!target) {
            problems.push(`${who}: no target ${name} in images/docker-bake.json`);
            continue;
        }
        if (!bake.group.default.targets.includes(name)) problems.push(`${who}: target ${name} is not in the default group`);
        const expected = { inherits: ["_pulse"], target: name, tags: [`\${REGISTRY}${repository}:\${VERSION}`], args: source && { SOURCE: source } };
        for (const [key, value] of Object.entries(expected)) {
            const actual = JSON.stringify(target[key]);
            if (actual !== JSON.stringify(value))
                problems.push(`${who}: target ${name}'s ${key} is ${actual ?? "unset"}, not ${JSON.stringify(value) ?? "unset"}`);
        }
    }
    return problems;
}
