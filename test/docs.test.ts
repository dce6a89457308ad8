import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { PROJECT_DIR } from "../tools/stackfile";

const DOCS = path.join(PROJECT_DIR, "docs");
const docFiles = () =>
    fs
        .readdirSync(DOCS)
        .filter((f) => f.endsWith(".md"))
        .sort();
/** The Markdown files whose links and paths are checked, relative to the project directory. */
const checked = () => ["README.md", "CHANGELOG.md", ...docFiles().map((f) => `docs/${f}`)];
const read = (rel: string) => fs.readFileSync(path.join(PROJECT_DIR, rel), "utf8");
const withoutCode = (md: string) => md.replace(/^```[\s\S]*?^```/gm, "");

/** Relative link targets of a Markdown text (`[text](target)`), code blocks excluded. */
export function relativeLinks(md: string): string[] {
    return [...withoutCode(md).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** GitHub's anchors of a Markdown text's headings (duplicates get -1, -2, ...). */
export function anchors(md: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const m of withoutCode(md).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
        const slug = m[1]
            .toLowerCase()
            .replace(/[^\p{L}\p{N} _-]/gu, "")
            .replace(/ /g, "-");
        const n = seen.get(slug) ?? 0;
        seen.set(slug, n + 1);
        out.add(n === 0 ? slug : `${slug}-${n}`);
    }
    return out;
}

/** Why a link from `from` (relative to the project) does not resolve, or undefined when it does. */
export function brokenLink(from: string, target: string): string | undefined {
    const [file, anchor] = target.split("#", 2);
    const abs = file === "" ? path.join(PROJECT_DIR, from) : path.resolve(path.dirname(path.join(PROJECT_DIR, from)), decodeURI(file));
    const rel = path.relative(PROJECT_DIR, abs);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return `${target}: outside the repository`;
    if (!fs.existsSync(abs)) return `${target}: no such file`;
    if (anchor !== undefined && abs.endsWith(".md") && !anchors(fs.readFileSync(abs, "utf8")).has(anchor)) return `${target}: no heading #${anchor} in ${rel}`;
    return undefined;
}

/** Backticked repository paths (`config/services.ts`, `.github/actions/node-deps`) a Markdown text names. */
const REPO_DIRS = ["assets", "components", "config", "docs", "lib", "policy", "scripts", "test", "toolchain", "tools", ".github", ".ci"];
export function repoPaths(md: string): string[] {
    return [...md.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => REPO_DIRS.some((d) => p.startsWith(`${d}/`)) && !/[<>*{}$]|\.\.\./.test(p));
}

describe("documentation (README.md, docs/)", () => {
    it("the README fits on a page (150 lines at most) and keeps the test command", () => {
        const readme = read("README.md");
        expect(readme.split("\n").length).to.be.at.most(150);
        expect(readme).to.include("npm ci && npm test");
    });

    it("the README links every page under docs/, and each docs/ link of the README names an existing page", () => {
        const links = relativeLinks(read("README.md")).map((l) => l.split("#")[0]);
        for (const f of docFiles()) expect(links, `README links docs/${f}`).to.include(`docs/${f}`);
        for (const l of links.filter((l) => l.startsWith("docs/"))) expect(fs.existsSync(path.join(PROJECT_DIR, l)), l).to.equal(true);
    });

    it("every relative link in the README, the changelog and docs/ resolves (file, and heading when it names one)", () => {
        const broken = checked().flatMap((f) =>
            relativeLinks(read(f))
                .map((t) => brokenLink(f, t))
                .filter((b) => b !== undefined)
                .map((b) => `${f}: ${b}`),
        );
        expect(broken).to.deep.equal([]);
    });

    it("every repository path the docs name in backticks exists", () => {
        const missing = checked().flatMap((f) =>
            repoPaths(read(f))
                .filter((p) => !fs.existsSync(path.join(PROJECT_DIR, p)))
                .map((p) => `${f}: ${p}`),
        );
        expect(missing).to.deep.equal([]);
    });

    it("the checks can fail: a missing page, a missing heading, a link out of the repository, a missing path", () => {
        expect(brokenLink("README.md", "docs/nope.md")).to.match(/no such file/);
        expect(brokenLink("docs/secrets.md", "operations.md#no-such-section")).to.match(/no heading/);
        expect(brokenLink("docs/secrets.md", "../../shared/design/helm-chart-spec.md")).to.match(/outside the repository/);
        expect(brokenLink("docs/secrets.md", "operations.md#3-secrets")).to.equal(undefined);
        expect(anchors("## 7. Upgrades, and when one fails\n### `pulse:ingest`\n## A\n## A")).to.deep.equal(
            new Set(["7-upgrades-and-when-one-fails", "pulseingest", "a", "a-1"]),
        );
        expect(relativeLinks("[a](docs/x.md) [b](https://example.com)\n```\n[c](y.md)\n```")).to.deep.equal(["docs/x.md"]);
        expect(repoPaths("`config/nope.ts` `out/prod` `test/<x>.ts` `lib/render.ts`")).to.deep.equal(["config/nope.ts", "lib/render.ts"]);
    });
});
