/**
 * Where the images come from: images/Dockerfile builds every Pulse image from a checkout of the Pulse source (the named
 * build context `pulse`), images/docker-bake.json names and tags them as the stacks expect. No image can be built here
 * (no base image or package index is reachable): this checks the build definition with a real Dockerfile parser and
 * linter (dockerfile-ast, dockerfile-utils: the parser of VS Code's Docker support) against the service registry.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { DockerfileParser } from "dockerfile-ast";
import { parseConfig, SERVICES } from "../config";
import { PROJECT_DIR } from "../tools/stackfile";
import { Bake, BAKE_FILE, bakeProblems, copiesOf, DOCKERFILE, imageProblems, stagesOf } from "./images";

const text = fs.readFileSync(DOCKERFILE, "utf8");
const bake: Bake = JSON.parse(fs.readFileSync(BAKE_FILE, "utf8"));

describe("images (images/Dockerfile, images/docker-bake.json)", () => {
    it("builds every image the stacks run: a stage per registry service and the migrator, with the shared package, as the pods' uid", () => {
        expect(imageProblems(text, SERVICES)).to.deep.equal([]);
    });

    it("the check catches a syntax error, an unpinned base, a missing stage, a service without services/shared, a root image", () => {
        const problems = (dockerfile: string) => imageProblems(dockerfile, SERVICES);
        expect(problems("FROM\n")).to.have.length.above(0);
        expect(problems(text.replace("python:3.12.8-slim-bookworm", "python:3-slim"))).to.include(
            "stage python: base image python:3-slim is not pinned to a patch release",
        );
        expect(problems(text.replace("AS ops-worker", "AS ops"))).to.include("opsWorker (pulse/ops-worker): no stage ops-worker in images/Dockerfile");
        expect(problems(text.replace("AS db-migrator", "AS migrate"))).to.include("migrator (pulse/db-migrator): no stage db-migrator in images/Dockerfile");
        const withoutShared = text.replace("COPY --from=pulse services/shared/ /app/shared/\n", "");
        expect(problems(withoutShared)).to.include("route-delivery: does not copy its folder (${SOURCE}/) and services/shared/");
        const root = text.replace(/(FROM service AS ui-iot\n)/, "$1USER root\n");
        expect(problems(root)).to.deep.equal(["ui-iot: does not run as USER 10001:10001"]);
        expect(problems(text.replace('CMD ["python", "/app/bridge.py"]', ""))).to.deep.equal(["mqtt-nats-bridge: has no CMD of its own"]);
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
        expect(bakeProblems(bake, SERVICES)).to.deep.equal([]);
        expect(bake.target._pulse).to.deep.equal({ context: "images", dockerfile: "Dockerfile", contexts: { pulse: "${PULSE_SRC}" } });
        expect(bake.variable.VERSION.default).to.equal(parseConfig({}).appVersion);
    });

    it("the bake check catches a missing target, one outside the default group, a wrong tag or source folder, a target of no image", () => {
        type Editable = Bake & { group: { default: { targets: string[] } }; target: Record<string, Record<string, unknown>> };
        const edited = (edit: (b: Editable) => void): Bake => {
            const copy: Editable = JSON.parse(JSON.stringify(bake));
            edit(copy);
            return copy;
        };
        const problems = (b: Bake) => bakeProblems(b, SERVICES);
        expect(problems(edited((b) => delete b.target["ops-worker"]))).to.deep.equal([
            "opsWorker (pulse/ops-worker): no target ops-worker in images/docker-bake.json",
        ]);
        expect(problems(edited((b) => (b.group.default.targets = b.group.default.targets.filter((t) => t !== "ui-iot"))))).to.deep.equal([
            "ui (pulse/ui-iot): target ui-iot is not in the default group",
        ]);
        expect(problems(edited((b) => (b.target["db-migrator"].tags = ["pulse/db-migrator:latest"])))).to.deep.equal([
            'migrator (pulse/db-migrator): target db-migrator\'s tags is ["pulse/db-migrator:latest"], not ["${REGISTRY}pulse/db-migrator:${VERSION}"]',
        ]);
        expect(problems(edited((b) => delete b.target["evaluator-iot"].args))).to.deep.equal([
            'evaluator (pulse/evaluator-iot): target evaluator-iot\'s args is unset, not {"SOURCE":"services/evaluator_iot"}',
        ]);
        expect(problems(edited((b) => b.group.default.targets.push("old-iot")))).to.deep.equal(["group default: old-iot is no image of the registry"]);
    });
});
