/**
 * Where the images come from: images/Dockerfile builds every Pulse image from a checkout of the Pulse source (the named
 * build context `pulse`), images/docker-bake.json names and tags them as the stacks expect. No image can be built here
 * (no base image or package index is reachable): this checks the build definition with a real Dockerfile parser and
 * linter (dockerfile-ast, dockerfile-utils: the parser of VS Code's Docker support) against the service registry.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { Copy, DockerfileParser, Dockerfile, From, Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { parseConfig, SERVICE_NAMES, SERVICES } from "../config";
import { PROJECT_DIR } from "../tools/stackfile";

const DOCKERFILE = path.join(PROJECT_DIR, "images", "Dockerfile");
const BAKE_FILE = path.join(PROJECT_DIR, "images", "docker-bake.json");
/** The uid the pods run as (each service's `runAsUser` default), which the images' files must serve. */
const POD_UID = parseConfig({}).ingest.runAsUser;
/** The migrator's image, beside the services'. */
const MIGRATOR_REPOSITORY = parseConfig({}).migrator.image.repository;

interface Stage {
    readonly name: string;
    readonly base: string;
    readonly instructions: Instruction[];
}

/** The Dockerfile's stages, each with the instructions after its FROM; base images with their ARG defaults applied. */
function stagesOf(dockerfile: Dockerfile): Stage[] {
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
function copiesOf(stage: Stage): { from?: string; sources: string[]; destination: string }[] {
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

/** The problems of a Dockerfile's text: the linter's errors, then each registry image's stage that is missing or wrong. */
function imageProblems(text: string): string[] {
    const errors = validate(text).filter((d) => d.severity === 1);
    if (errors.length > 0) return errors.map((d) => `line ${d.range.start.line + 1}: ${typeof d.message === "string" ? d.message : d.message.value}`);
    const stages = stagesOf(DockerfileParser.parse(text));
    const byName = new Map(stages.map((s) => [s.name, s]));
    const problems: string[] = [];
    for (const s of stages.filter((s) => !byName.has(s.base))) {
        const tag = /:([^:@/]+)$/.exec(s.base)?.[1];
        if (!tag || !/^\d+\.\d+\.\d+-/.test(tag)) problems.push(`stage ${s.name}: base image ${s.base} is not pinned to a patch release`);
    }
    const images = [...SERVICE_NAMES.map((n) => ({ repository: SERVICES[n].repository, service: true })), { repository: MIGRATOR_REPOSITORY, service: false }];
    for (const { repository, service } of images) {
        const name = imageName(repository);
        const stage = byName.get(name);
        if (!stage) {
            problems.push(`${repository}: no stage ${name}`);
            continue;
        }
        const chain = chainOf(stage, byName);
        const fromPulse = chain.flatMap((st) =>
            copiesOf(st)
                .filter((c) => c.from === "pulse")
                .flatMap((c) => c.sources),
        );
        // Every service imports the shared package; upstream's Dockerfiles leave it out of some. Its own folder is SOURCE.
        if (service && !(fromPulse.includes("${SOURCE}/") && fromPulse.includes("services/shared/"))) {
            problems.push(`${name}: does not copy its folder (\${SOURCE}/) and services/shared/`);
        }
        if (inEffect(chain, "USER")?.getArgumentsContent() !== `${POD_UID}:${POD_UID}`) problems.push(`${name}: does not run as USER ${POD_UID}:${POD_UID}`);
        if (!stage.instructions.some((i) => i.getKeyword() === "CMD")) problems.push(`${name}: has no CMD of its own`);
    }
    return problems;
}

/** An image's stage and bake target: its repository's last segment (pulse/ingest-iot: ingest-iot). */
const imageName = (repository: string) => repository.slice(repository.lastIndexOf("/") + 1);

const text = fs.readFileSync(DOCKERFILE, "utf8");

describe("images (images/Dockerfile, images/docker-bake.json)", () => {
    it("builds every image the stacks run: a stage per registry service and the migrator, with the shared package, as the pods' uid", () => {
        expect(imageProblems(text)).to.deep.equal([]);
    });

    it("the check catches a syntax error, an unpinned base, a missing stage, a service without services/shared, a root image", () => {
        expect(imageProblems("FROM\n")).to.have.length.above(0);
        expect(imageProblems(text.replace("python:3.12.8-slim-bookworm", "python:3-slim"))).to.include(
            "stage python: base image python:3-slim is not pinned to a patch release",
        );
        expect(imageProblems(text.replace("AS ops-worker", "AS ops"))).to.include("pulse/ops-worker: no stage ops-worker");
        const withoutShared = text.replace("COPY --from=pulse services/shared/ /app/shared/\n", "");
        expect(imageProblems(withoutShared)).to.include("route-delivery: does not copy its folder (${SOURCE}/) and services/shared/");
        const root = text.replace(/(FROM service AS ui-iot\n)/, "$1USER root\n");
        expect(imageProblems(root)).to.deep.equal(["ui-iot: does not run as USER 10001:10001"]);
        expect(imageProblems(text.replace('CMD ["python", "/app/bridge.py"]', ""))).to.deep.equal(["mqtt-nats-bridge: has no CMD of its own"]);
    });

    it("puts ui's single-page app, built from frontend/, at /app/spa", () => {
        const stages = new Map(stagesOf(DockerfileParser.parse(text)).map((s) => [s.name, s]));
        expect(copiesOf(stages.get("ui-iot")!)).to.deep.include({ from: "spa", sources: ["/src/dist/"], destination: "/app/spa/" });
        const spa = stages.get("spa")!;
        expect(
            copiesOf(spa)
                .filter((c) => c.from === "pulse")
                .flatMap((c) => c.sources),
        ).to.include("frontend/");
        expect(spa.instructions.map((i) => `${i.getKeyword()} ${i.getArgumentsContent()}`)).to.include("RUN npm run build");
    });

    it("the migrator image applies images/migrations.sed to the migration that fails on every fresh database, and fails the build if it no longer matches", () => {
        const migrator = stagesOf(DockerfileParser.parse(text)).find((st) => st.name === "db-migrator")!;
        expect(copiesOf(migrator)).to.deep.include({ from: undefined, sources: ["migrations.sed"], destination: "/tmp/migrations.sed" });
        const run = migrator.instructions
            .filter((i) => i.getKeyword() === "RUN")
            .map((i) => i.getArgumentsContent() ?? "")
            .find((a) => a.includes("migrations.sed"))!;
        expect(run)
            .to.match(/sed -E -i -f \/tmp\/migrations.sed \/app\/migrations\/117_operator_role_granularity.sql/)
            .and.match(/&& grep -q to_regclass/);
        // The expression guards exactly the grants on a table: applied to such a line, the GRANT runs only where the table is.
        const expression = fs
            .readFileSync(path.join(PROJECT_DIR, "images", "migrations.sed"), "utf8")
            .split("\n")
            .find((l) => l.startsWith("s/"))!;
        const [, pattern, replacement] = /^s\/(.*)\/(.*)\/$/.exec(expression)!;
        const line = "GRANT INSERT, UPDATE ON subscriptions TO pulse_operator_write;";
        expect(line.replace(new RegExp(pattern), (...groups: string[]) => replacement.replace(/\\(\d)/g, (_, n: string) => groups[Number(n)]))).to.equal(
            "DO $$ BEGIN IF to_regclass('public.subscriptions') IS NOT NULL THEN GRANT INSERT, UPDATE ON subscriptions TO pulse_operator_write; END IF; END $$;",
        );
    });

    it("bakes every image under the repository and tag the stacks expect (appVersion), from the checkout in PULSE_SRC", () => {
        const bake = JSON.parse(fs.readFileSync(BAKE_FILE, "utf8"));
        const stageNames = new Set(stagesOf(DockerfileParser.parse(text)).map((s) => s.name));
        const repositories = [...SERVICE_NAMES.map((n) => SERVICES[n].repository as string), MIGRATOR_REPOSITORY];
        const targets = repositories.map(imageName);
        expect(bake.group.default.targets).to.have.members(targets);
        for (const [i, name] of targets.entries()) {
            const t = bake.target[name];
            expect(t, name).to.deep.include({ inherits: ["_pulse"], target: name, tags: [`\${REGISTRY}${repositories[i]}:\${VERSION}`] });
            expect(stageNames.has(t.target), `stage ${t.target}`).to.equal(true);
        }
        // Each service's image is built from its own folder of the Pulse source.
        for (const n of SERVICE_NAMES) expect(bake.target[imageName(SERVICES[n].repository)].args, n).to.deep.equal({ SOURCE: SERVICES[n].source });
        expect(bake.target._pulse).to.deep.equal({ context: "images", dockerfile: "Dockerfile", contexts: { pulse: "${PULSE_SRC}" } });
        expect(bake.variable.VERSION.default).to.equal(parseConfig({}).appVersion);
    });
});
