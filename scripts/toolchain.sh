#!/usr/bin/env bash
# Builds the integration test's toolchain from the Go module proxy alone (no get.pulumi.com, no GitHub downloads):
#   pulumi                       Pulumi CLI                     toolchain/pulumi
#   pulumi-resource-kubernetes   Kubernetes provider plugin     toolchain/kubernetes-provider
#   kube-apiserver               Kubernetes API server          toolchain/kubernetes
#   kube-controller-manager      Kubernetes controllers         toolchain/kubernetes
#   kube-scheduler               Kubernetes scheduler           toolchain/kubernetes
#   kubectl                      kubectl (kwokctl's checks)     toolchain/kubernetes
#   etcd                         etcd server                    toolchain/etcd
#   helm                         helm (`helm template`)         toolchain/helm
#   kwok, kwokctl                KWOK: simulated nodes, and     toolchain/kwok
#                                the cluster manager running the binaries above
# Each binary is built from a small committed wrapper module (go.mod + go.sum): `go install pkg@version` refuses
# modules that carry replace directives, and upstream's replaces must be repeated. Versions live in those go.mod
# files; a unit test ties them to package-lock.json.
#
# Output: .tools/toolchain/bin (git-ignored), and KWOK's stock stages in .tools/toolchain/kwok-stages. Idempotent: a binary is rebuilt only when its wrapper module, the
# ldflags or the Go version change (stamp file next to it). Prints the time each build took.
#
# Not built, because the proxy refuses the modules (403 "This module version is not available"); see docs/integration-testing.md:
#   pulumi-language-nodejs  (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, pseudo-version of
#                            the pkg/v3.248.0 commit): the integration test runs the program in-process through the
#                            Automation API, which serves the language runtime itself (`pulumi up --client`).
#   pulumi-resource-random  (github.com/pulumi/pulumi-random/provider/v4): the integration stack sets every password,
#                            so no random resource is registered and the plugin is never loaded.
#
# Usage: scripts/toolchain.sh [--check] [NAME...]   (--check: exit 0 when every binary is built and current, 1 otherwise;
#   NAMEs: only those binaries, e.g. `helm` for the render's --charts, and not KWOK's stages)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN="$ROOT/.tools/toolchain/bin"
mkdir -p "$BIN"

# go.sum in each wrapper pins every module hash; the checksum database does not know all of these versions (404),
# so it is not consulted. -mod=readonly: a build never rewrites the committed go.mod/go.sum.
export GOSUMDB=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

PULUMI_VERSION=v3.248.0
KUBERNETES_VERSION=v1.35.4
ETCD_VERSION=v3.5.35
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.18.6
PROVIDER_COMMIT=v4.0.0-20260115033456-f47bc2d6f199

K8S_VERSION_PKG=k8s.io/component-base/version
KUBE_LDFLAGS="-s -w -X $K8S_VERSION_PKG.gitVersion=$KUBERNETES_VERSION -X $K8S_VERSION_PKG.gitMajor=1"
KUBE_LDFLAGS+=" -X $K8S_VERSION_PKG.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) -X $K8S_VERSION_PKG.gitTreeState=clean"
KWOK_LDFLAGS="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"

# name|wrapper dir|package|ldflags
TARGETS=(
    "pulumi|toolchain/pulumi|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
    "pulumi-resource-kubernetes|toolchain/kubernetes-provider|.|-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${PROVIDER_COMMIT#v}"
    "etcd|toolchain/etcd|go.etcd.io/etcd/server/v3|-s -w"
    "kube-apiserver|toolchain/kubernetes|k8s.io/kubernetes/cmd/kube-apiserver|$KUBE_LDFLAGS"
    "kube-controller-manager|toolchain/kubernetes|k8s.io/kubernetes/cmd/kube-controller-manager|$KUBE_LDFLAGS"
    "kube-scheduler|toolchain/kubernetes|k8s.io/kubernetes/cmd/kube-scheduler|$KUBE_LDFLAGS"
    "kubectl|toolchain/kubernetes|k8s.io/kubernetes/cmd/kubectl|$KUBE_LDFLAGS"
    "helm|toolchain/helm|helm.sh/helm/v3/cmd/helm|-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    "kwok|toolchain/kwok|sigs.k8s.io/kwok/cmd/kwok|$KWOK_LDFLAGS"
    # kwokctl's default Kubernetes version decides the flags it passes: the version built here.
    "kwokctl|toolchain/kwok|sigs.k8s.io/kwok/cmd/kwokctl|$KWOK_LDFLAGS -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBERNETES_VERSION#v}"
)

stamp_of() { # dir ldflags
    { go version; echo "$2"; cat "$1"/go.mod "$1"/go.sum; cat "$1"/*.go 2>/dev/null || true; } | sha256sum | cut -d' ' -f1
}

# The provider's wrapper embeds the schema and Terraform mapping that upstream commits next to its main.go.
provider_assets() {
    local dir
    dir=$(cd toolchain/kubernetes-provider && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4 2>/dev/null) || true
    if [ -z "$dir" ]; then
        (cd toolchain/kubernetes-provider && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4)
        dir=$(cd toolchain/kubernetes-provider && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
    fi
    install -m 0644 "$dir/cmd/pulumi-resource-kubernetes/schema.json" "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" \
        toolchain/kubernetes-provider/
}

check_only=0
[ "${1:-}" = "--check" ] && { check_only=1; shift; }
only=("$@")
for want_name in "${only[@]}"; do
    printf '%s\n' "${TARGETS[@]}" | cut -d'|' -f1 | grep -qx -- "$want_name" || { echo "no binary $want_name in the toolchain" >&2; exit 2; }
done
stale=0
total_start=$(date +%s)
for target in "${TARGETS[@]}"; do
    IFS='|' read -r name dir pkg ldflags <<< "$target"
    if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx -- "$name"; then continue; fi
    want=$(stamp_of "$dir" "$ldflags")
    if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/$name.stamp" 2>/dev/null)" = "$want" ]; then
        [ $check_only = 1 ] || echo "up to date: $name"
        continue
    fi
    if [ $check_only = 1 ]; then echo "missing or stale: $name"; stale=1; continue; fi
    [ "$name" = pulumi-resource-kubernetes ] && provider_assets
    echo "building $name ($dir) ..."
    start=$(date +%s)
    if ! (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$name.tmp" "$pkg") > "$BIN/$name.log" 2>&1; then
        echo "FAILED to build $name:"; tail -20 "$BIN/$name.log"; exit 1
    fi
    mv "$BIN/$name.tmp" "$BIN/$name"
    echo "$want" > "$BIN/$name.stamp"
    echo "built $name in $(( $(date +%s) - start )) s"
done
# KWOK's stock stages (nodes initialised, pods Running and Ready, Job pods completed, pods deleted), from the pinned
# module: the integration suite builds its simulated cluster's behaviour from them (test/integration/kwok.ts).
if [ ${#only[@]} -gt 0 ]; then
    [ $check_only = 1 ] && exit $stale
    echo "${only[*]} ready in $BIN ($(( $(date +%s) - total_start )) s)"
    exit 0
fi
STAGES="$ROOT/.tools/toolchain/kwok-stages"
STAGE_FILES=(node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete)
if [ $check_only = 1 ]; then
    for f in "${STAGE_FILES[@]}"; do [ -f "$STAGES/$(basename "$f").yaml" ] || { echo "missing: kwok stage $f"; stale=1; }; done
    exit $stale
fi
kwok_dir=$(cd toolchain/kwok && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
mkdir -p "$STAGES"
for f in "${STAGE_FILES[@]}"; do install -m 0644 "$kwok_dir/kustomize/stage/$f.yaml" "$STAGES/"; done
echo "toolchain ready in $BIN ($(( $(date +%s) - total_start )) s)"
