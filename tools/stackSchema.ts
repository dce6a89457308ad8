/**
 * A JSON Schema for `Pulumi.<stack>.yaml`, generated from the config schema: editors with yaml-language-server (the
 * stack files name it in their first line) complete and check every `pulse:` key as it is typed. It describes what a
 * JSON Schema can (types, enums, patterns, ranges, defaults, descriptions); the cross-field rules stay with the
 * program's validation (`npm run manifests`, `pulumi preview`). `npm run docs:config` writes it; a test keeps it in sync.
 */
import { z } from "zod";
import { NAMESPACE, pulseConfigSchema, SECRET_KEYS } from "../config";
import { STACK_FILE_KEYS } from "./stackfile";

export const STACK_SCHEMA_FILE = "docs/pulse-stack.schema.json";

/** Drops the schema's own annotations (`kind`) that are not JSON Schema keywords. */
function clean(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(clean);
    if (typeof node !== "object" || node === null) return node;
    return Object.fromEntries(
        Object.entries(node)
            .filter(([k]) => k !== "kind")
            .map(([k, v]) => [k, clean(v)]),
    );
}

function stackFileSchema(): Record<string, unknown> {
    const root = clean(z.toJSONSchema(pulseConfigSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" })) as {
        properties: Record<string, unknown>;
    };
    const settings = Object.fromEntries(Object.entries(root.properties).map(([k, v]) => [`${NAMESPACE}:${k}`, v]));
    const secrets = Object.fromEntries(
        Object.entries(SECRET_KEYS).map(([k, description]) => [
            `${NAMESPACE}:${k}`,
            {
                description: `${description}. Secret: set it with \`pulumi config set --secret ${NAMESPACE}:${k}\` (stored encrypted)`,
                type: "object",
                properties: { secure: { type: "string" } },
                required: ["secure"],
                additionalProperties: false,
            },
        ]),
    );
    return {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: "https://opsconductor.example/pulse/pulse-stack.schema.json",
        title: "Pulumi stack file of the Pulse deployment (Pulumi.<stack>.yaml)",
        type: "object",
        properties: {
            config: {
                description: `Stack config: one \`${NAMESPACE}:<key>\` per section (docs/configuration.md); other namespaces (kubernetes:, ...) pass through`,
                type: "object",
                properties: { ...settings, ...secrets },
                // Another provider's or namespace's keys are theirs; an unknown `pulse:` key is a mistake.
                patternProperties: { [`^(?!${NAMESPACE}:)[^:]+:`]: {} },
                additionalProperties: false,
            },
            // The stack file's other keys, as the reader knows them; the CLI owns their contents.
            ...Object.fromEntries([...STACK_FILE_KEYS].filter((k) => k !== "config").map((k) => [k, {}])),
        },
        additionalProperties: false,
    };
}

/** The file's text: stable key order, two-space indentation, a final newline. */
export const stackFileSchemaText = (): string => JSON.stringify(stackFileSchema(), null, 2) + "\n";
