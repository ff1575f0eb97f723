#!/usr/bin/env bash
# Pins the Kubernetes release the local control plane is built from: requires k8s.io/kubernetes at
# that release and replaces every staging module k8s.io/* with its matching v0.X.Y, as listed in the
# release's own go.mod. Usage: src/local-cluster/k8s/pin.sh 1.33.13
set -euo pipefail
version="${1:?usage: pin.sh <kubernetes version, e.g. 1.33.13>}"
version="${version#v}"
staging="0.${version#1.}"
cd "$(dirname "$0")"
proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%,*}"
upstream=$(curl -fsSL "$proxy/k8s.io/kubernetes/@v/v$version.mod")
{
  echo "// Builds the Kubernetes control-plane binaries used by tests, the demo and benchmarks."
  echo "// Regenerate with: src/local-cluster/k8s/pin.sh <version>"
  echo "module spot-drainer.local/k8s"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes v$version"
  echo
  echo "replace ("
  sed -n '/^replace (/,/^)/p' <<<"$upstream" | awk -v v="v$staging" '/=> \.\/staging/ {print "\t" $1 " => " $1 " " v}'
  echo ")"
  echo
  echo "tool ("
  for command in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    echo "	k8s.io/kubernetes/cmd/$command"
  done
  echo ")"
} > go.mod
rm -f go.sum
GOFLAGS=-mod=mod go mod tidy
echo "pinned Kubernetes v$version"
