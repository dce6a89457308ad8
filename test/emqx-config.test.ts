/**
 * Every `emqxConfig` value the program produces, through a model of the EMQX chart's ConfigMap template
 * (lib/emqxConfig.ts): a scalar is printed with %v inside double quotes and read back by YAML, a list or map goes
 * through toJson and Go's %q; nothing may hold `{{` (the chart runs every value through tpl). The real chart failed
 * on the TLS versions given as a string of JSON (issue 21); the bad inputs below show the model catches that class.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as YAML from "yaml";
import { emqxValues } from "../components/emqx";
import { parseStackConfig, PulseConfig } from "../config";
import { chartEnvKey, chartEnvLine, checkedEmqxConfig, emqxConfigProblems, goQuote, goToJson } from "../lib/emqxConfig";
import { checkedStacks } from "../tools/stacks";
import { config } from "./helpers";

const VERSIONS = "EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERSIONS";
const emqxConfigOf = (c: PulseConfig) =>
    emqxValues(c.emqx, c.global, { env: c.secrets.emqxDashboard, bootstrap: c.secrets.emqxBootstrap }).emqxConfig as Record<string, unknown>;

/** The value the chart's ConfigMap holds for one entry (the model's line, read back as Helm's YAML would). */
function carried(key: string, value: unknown): unknown {
    const line = chartEnvLine(key, value)!;
    const doc = YAML.parseDocument(`data:\n  ${line}\n`, { version: "1.1" });
    return doc.errors.length > 0 ? new Error(doc.errors[0].message) : (doc.toJS() as { data: Record<string, unknown> }).data[key];
}

describe("emqxConfig through the EMQX chart's ConfigMap template (lib/emqxConfig.ts)", () => {
    const stacks = checkedStacks().map((s) => ({ name: s.name, config: parseStackConfig(s.raw).config }));

    it("covers dev, prod, the CI fixture and the integration suite's prod (device TLS), with and without the TLS listener (dev has none)", () => {
        expect(stacks.map((s) => s.name)).to.deep.equal(["dev", "prod", "ci", "prod+integration"]);
        const tls = stacks.filter((s) => emqxConfigOf(s.config).EMQX_LISTENERS__SSL__DEFAULT__ENABLE === "true").map((s) => s.name);
        expect(tls).to.deep.equal(["prod", "ci", "prod+integration"]);
    });

    for (const name of ["dev", "prod", "ci", "prod+integration"]) {
        it(`${name}: every value reaches EMQX as given: scalars read back from the double quotes, lists and maps as their JSON, no {{`, () => {
            const entries = Object.entries(emqxConfigOf(stacks.find((s) => s.name === name)!.config));
            expect(entries.length).to.be.greaterThan(4);
            for (const [key, value] of entries) {
                expect(chartEnvKey(key), `${key}: the chart keeps the key`).to.equal(key);
                if (value === "") continue; // left out on purpose (the dashboard login comes from the env Secret)
                expect(typeof value === "string" || (typeof value === "object" && value !== null), `${key}: a string, list or map`).to.equal(true);
                const back = carried(key, value);
                const intended = typeof value === "string" ? value : goToJson(value);
                expect(back, key).to.equal(intended);
                expect(String(back), key).not.to.include("{{");
                if (typeof value !== "string") expect(JSON.parse(back as string), key).to.deep.equal(value);
            }
            expect(emqxConfigProblems(Object.fromEntries(entries))).to.deep.equal([]);
        });
    }

    it("the TLS versions go as a list, which the chart writes as quoted JSON", () => {
        const ci = emqxConfigOf(stacks.find((s) => s.name === "ci")!.config);
        expect(ci[VERSIONS]).to.deep.equal(["tlsv1.3", "tlsv1.2"]);
        expect(goQuote(goToJson(ci[VERSIONS]))).to.equal('"[\\"tlsv1.3\\",\\"tlsv1.2\\"]"');
        expect(carried(VERSIONS, ci[VERSIONS])).to.equal('["tlsv1.3","tlsv1.2"]');
    });

    it("catches the value that broke the real chart (issue 21): JSON in a string is a YAML error inside the chart's double quotes", () => {
        const old = '["tlsv1.3", "tlsv1.2"]';
        expect(carried(VERSIONS, old)).to.be.instanceOf(Error);
        expect(emqxConfigProblems({ [VERSIONS]: old })).to.deep.equal([
            `emqxConfig.${VERSIONS}: holds a double quote, which ends the chart's double-quoted YAML string; give a list or a map as a structure`,
        ]);
    });

    it("catches every other value the template cannot carry, naming the key (the check can fail)", () => {
        const problems = emqxConfigProblems({
            EMQX_A: "{{ .Release.Name }}",
            EMQX_B: "C:\\certs",
            EMQX_C: "two\nlines",
            EMQX_D: false,
            EMQX_E: 10,
            EMQX_F: [],
            EMQX_G: { url: "{{ .Values.x }}" },
            emqx_h: "lower-case key",
            EMQX_LISTENERS__EMQX_I: "a key the chart renames",
            EMQX_J: "tab\there",
            EMQX_K: "bell\x07",
        });
        expect(problems.map((p) => p.split(":")[0])).to.deep.equal([
            "emqxConfig.EMQX_A",
            "emqxConfig.EMQX_B",
            "emqxConfig.EMQX_C",
            "emqxConfig.EMQX_D",
            "emqxConfig.EMQX_E",
            "emqxConfig.EMQX_F",
            "emqxConfig.EMQX_G",
            "emqxConfig.emqx_h",
            "emqxConfig.EMQX_LISTENERS__EMQX_I",
            "emqxConfig.EMQX_K",
        ]);
        expect(problems[0]).to.match(/evaluates as a Helm template/);
        expect(problems[1]).to.match(/backslash/);
        expect(problems[2]).to.match(/does not survive the chart's template: its ConfigMap would read nothing \(a YAML error\)/);
        expect(problems[3]).to.match(/must be a string, a list or a map, got boolean/);
        expect(problems[8]).to.match(/the chart makes it EMQX_LISTENERS__I/);
        expect(problems[9]).to.match(/control character/);
        // Empty strings are left out on purpose; a tab survives YAML's double quotes.
        expect(emqxConfigProblems({ EMQX_DASHBOARD__DEFAULT_PASSWORD: "", EMQX_J: "tab\there" })).to.deep.equal([]);
    });

    it("the program refuses such a value with its message alone (pulumi.RunError, no stack trace), naming each key", () => {
        expect(() => checkedEmqxConfig({ [VERSIONS]: "ok" })).not.to.throw();
        let error: unknown;
        try {
            checkedEmqxConfig({ [VERSIONS]: '["tlsv1.3"]', EMQX_X: "{{ x }}" });
        } catch (e) {
            error = e;
        }
        expect(pulumi.RunError.isInstance(error)).to.equal(true);
        expect((error as Error).message)
            .to.include(`emqxConfig.${VERSIONS}: holds a double quote`)
            .and.include("emqxConfig.EMQX_X: holds `{{`");
    });

    it("models the chart's Go functions: the key rule, %q and toJson (sorted keys, HTML-safe)", () => {
        expect(chartEnvKey(" emqx.listeners.ssl.default ")).to.equal("EMQX_LISTENERS__SSL__DEFAULT");
        expect(chartEnvKey("EMQX_ZONES__DEVICES")).to.equal("EMQX_ZONES__DEVICES");
        expect(goQuote('a"b\\c\n\x01\u00e9\u200b')).to.equal('"a\\"b\\\\c\\n\\x01\u00e9\\u200b"');
        expect(goToJson({ b: [1, true, null], a: "<&>" })).to.equal('{"a":"\\u003c\\u0026\\u003e","b":[1,true,null]}');
    });

    it("the model agrees with the program's own values builder on the defaults", () => {
        expect(emqxConfigProblems(emqxConfigOf(config()))).to.deep.equal([]);
    });
});
