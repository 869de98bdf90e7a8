// CoreDNS for the e2e node, built from Go modules like the control plane (build-coredns.sh): upstream's coremain
// with only the plugins the harness's Corefile uses, so the build pulls no cloud SDKs. It serves the cluster
// domain from the API server (the kubernetes plugin) on the node's bridge address, as a cluster's DNS does.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order upstream's plugin.cfg gives these plugins (it decides the order they handle a query in).
var directives = []string{"bind", "ready", "health", "errors", "log", "cache", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
