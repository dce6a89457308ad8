/**
 * The services Pulse calls outside the cluster: S3-compatible object storage and SMTP. Their credentials are secrets
 * (SECRET_KEYS), never fields here.
 */
import { z } from "zod";
import { nonEmpty, port } from "./blocks";
import { httpUrl, optionalHost } from "./formats";

/** Where the services reach S3 when `s3.endpoint` is unset: AWS's regional endpoint (their code's own default is a compose MinIO). */
export const s3Endpoint = (s3: { endpoint?: string; region: string }): string => s3.endpoint ?? `https://s3.${s3.region}.amazonaws.com`;

export const s3 = z
    .strictObject({
        endpoint: httpUrl("must be an http(s) URL such as https://s3.eu-west-1.amazonaws.com (unset: AWS S3's endpoint for `region`)")
            .optional()
            .describe(
                "S3 API endpoint the services use (S3_ENDPOINT); unset: AWS S3's regional endpoint https://s3.<region>.amazonaws.com. Always set for the services: without it their code falls back to a compose MinIO host",
            ),
        publicEndpoint: httpUrl("must be an http(s) URL such as https://s3.example.com, or empty", ["https:", "http:"], true)
            .default("")
            .describe("S3 endpoint in links handed to browsers (S3_PUBLIC_ENDPOINT); empty: the services' endpoint"),
        bucket: nonEmpty("a bucket name").default("exports").describe("Bucket for exports and reports (S3_BUCKET)"),
        region: nonEmpty("a region").default("us-east-1").describe("S3 region (S3_REGION)"),
    })
    .prefault({});

/** How the services and Keycloak secure SMTP: STARTTLS after a plain greeting, TLS from the first byte, or nothing. */
const SMTP_SECURITY = ["starttls", "tls", "none"] as const;
/** The submission ports whose protocol is fixed (RFC 8314): 465 speaks TLS from the first byte, 25 and 587 start plain. */
const IMPLICIT_TLS_PORTS: readonly number[] = [465];
const PLAIN_START_PORTS: readonly number[] = [25, 587];

export const smtp = z
    .strictObject({
        host: optionalHost("SMTP server for notification e-mail (SMTP_HOST; Keycloak's realm e-mail too)"),
        port: port(587).describe("SMTP port: 587 (submission, STARTTLS), 465 (implicit TLS) or 25"),
        user: z.string().default("").describe("SMTP user (password: secret pulse:smtpPassword)"),
        security: z
            .enum(SMTP_SECURITY, { error: `must be one of ${SMTP_SECURITY.join(", ")}` })
            .default("starttls")
            .describe(
                "starttls: plain greeting, then STARTTLS (port 587); tls: TLS from the first byte (port 465); none: no TLS. One meaning for every consumer: subscription-worker's SMTP_TLS is true only with tls (its implicit-TLS switch), Keycloak's realm gets ssl or starttls",
            ),
        from: z.string().default("").describe("Sender address of notification e-mail (SMTP_FROM)"),
    })
    .prefault({})
    .superRefine((m, ctx) => {
        // A pair that cannot work: one side would wait for a TLS handshake, the other for a greeting.
        const implicit = m.security === "tls";
        if ((implicit && PLAIN_START_PORTS.includes(m.port)) || (!implicit && IMPLICIT_TLS_PORTS.includes(m.port))) {
            ctx.addIssue({
                code: "custom",
                path: ["security"],
                input: m.security,
                message: implicit
                    ? `is tls (TLS from the first byte), but port ${m.port} starts in plain text: use starttls, or port 465`
                    : `is ${m.security}, but port ${m.port} expects TLS from the first byte: use tls, or port 587`,
            });
        }
    });
