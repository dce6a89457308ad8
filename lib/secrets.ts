/** Generated credentials: created once, kept in state as secrets, stable across runs. */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Alphanumeric, so the value needs no escaping in URLs, JDBC strings, env files or shells. */
export function generatedPassword(name: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const password = new random.RandomPassword(name, { length: 32, special: false }, { ...opts, additionalSecretOutputs: ["result"] });
    return pulumi.secret(password.result);
}
