// Command pulumi-resource-kubernetes serves the Kubernetes provider. Upstream's main.go embeds files that its
// build generates (schema-embed.json, terraform-mapping-embed.json) and that are not in the module zip, so it
// cannot be built from the proxy; this wrapper embeds the committed schema.json and terraform-mapping.json,
// which scripts/toolchain.sh copies next to it from the module cache.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
