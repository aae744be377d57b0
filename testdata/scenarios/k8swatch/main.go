// Regenerate:
//
//	testdata/scenarios/regen.sh k8swatch k8swatch-stopped
//
// Command k8swatch is a rollout gateway on k8s.io/client-go: it keeps the
// configuration of a dozen apps in ConfigMaps, serves lookups from a shared
// informer's lister (the right way: one informer, started once), and rolls
// out new generations. Each rollout comes with a status request that
// waits, with a watch, until the API server shows the new generation:
//
//	w, _ := cs.CoreV1().ConfigMaps(ns).Watch(context.Background(),
//		metav1.ListOptions{FieldSelector: "metadata.name=" + app, ResourceVersion: rv})
//	for ev := range w.ResultChan() { if generation(ev) == want { return } }
//
// BUG (the leak): the handler returns on the event it wanted and never
// calls w.Stop(), and the watch has no context that ends. client-go's
// watch.(*StreamWatcher).receive goroutine keeps reading the HTTP/2 stream;
// at the ConfigMap's next update (the status loop writes every app once a
// tick) it decodes the event and blocks for good sending it on the result
// channel that nobody reads, holding the decoded ConfigMap and the
// decoder's buffer. The events the API server sends after that pile up in
// the stream's HTTP/2 receive buffer until the server ends the watch at its
// request timeout; the goroutine stays even then. So every status request
// leaves a goroutine and some kilobytes, and the API server keeps a watcher
// per leaked watch until its timeout.
//
// -stop-watches stops each watch when the handler returns (the
// k8swatch-stopped control).
//
// The API server is a small Kubernetes API server for ConfigMaps (see
// apiserver.go) in a child process on 127.0.0.1 with TLS and HTTP/2, so
// the client runs client-go's real REST, watch and reflector code and the
// profiles hold the client only.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	namespace      = "apps"
	apps           = 12  // ConfigMaps, one per app
	lookupsPerTick = 400 // lookups served from the informer's lister
)

// Gateway is the rollout gateway.
type Gateway struct {
	cs          kubernetes.Interface
	lister      listersv1.ConfigMapLister
	stopWatches bool
	seq         int
}

func generation(cm *corev1.ConfigMap) int {
	g, _ := strconv.Atoi(cm.Data["generation"])
	return g
}

// appConfig is an app's configuration file, a couple of kilobytes.
func appConfig(app string, gen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "app: %s\ngeneration: %d\nimage: registry.internal/%s:v1.%d.0\nreplicas: 3\nenv:\n", app, gen, app, gen)
	for i := range 40 {
		fmt.Fprintf(&b, "  - name: FEATURE_%02d\n    value: \"%s-flag-%d-%d\"\n", i, app, i, gen)
	}
	return b.String()
}

// Rollout writes generation gen+1 of app's ConfigMap and answers the status
// request that waits for it.
func (g *Gateway) Rollout(ctx context.Context, app string) error {
	cm, err := g.cs.CoreV1().ConfigMaps(namespace).Get(ctx, app, metav1.GetOptions{})
	if err != nil {
		return err
	}
	want := generation(cm) + 1
	// The status request starts watching from the version it read...
	w, err := g.waitStart(app, cm.ResourceVersion)
	if err != nil {
		return err
	}
	// ...the rollout writes the new generation...
	cm.Data["generation"] = strconv.Itoa(want)
	cm.Data["config.yaml"] = appConfig(app, want)
	if _, err := g.cs.CoreV1().ConfigMaps(namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		return err
	}
	// ...and the status request answers when the watch shows it.
	return g.waitGeneration(w, want)
}

// waitStart opens the status request's watch on one ConfigMap. The watch's
// context never ends: only Stop ends it.
func (g *Gateway) waitStart(app, rv string) (watch.Interface, error) {
	return g.cs.CoreV1().ConfigMaps(namespace).Watch(context.Background(), metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", app).String(),
		ResourceVersion: rv,
	})
}

// waitGeneration reads the watch until the ConfigMap has generation want.
// BUG: it returns without w.Stop() unless -stop-watches.
func (g *Gateway) waitGeneration(w watch.Interface, want int) error {
	if g.stopWatches {
		defer w.Stop()
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("watch closed before generation %d", want)
			}
			if cm, ok := ev.Object.(*corev1.ConfigMap); ok && generation(cm) >= want {
				return nil
			}
		case <-timeout.C:
			return fmt.Errorf("generation %d not seen", want)
		}
	}
}

// SyncStatus records the observed state of every app in its ConfigMap, as
// the gateway's status loop does once a tick: an update per app.
func (g *Gateway) SyncStatus(ctx context.Context, tick int) error {
	for i := range apps {
		app := fmt.Sprintf("app-%02d", i)
		cm, err := g.lister.ConfigMaps(namespace).Get(app)
		if err != nil {
			return err
		}
		cm = cm.DeepCopy()
		cm.Data["status"] = fmt.Sprintf("readyReplicas=3 observedGeneration=%s lastSync=%d", cm.Data["generation"], tick)
		if _, err := g.cs.CoreV1().ConfigMaps(namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}

// Lookup serves one configuration lookup from the informer's cache.
func (g *Gateway) Lookup(app string) (string, error) {
	cm, err := g.lister.ConfigMaps(namespace).Get(app)
	if err != nil {
		return "", err
	}
	return cm.Data["generation"], nil
}

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "-apiserver" {
		fs := flag.NewFlagSet("apiserver", flag.ExitOnError)
		fs.Bool("apiserver", true, "run the API server child")
		minTimeout := fs.Duration("min-request-timeout", 10*time.Second, "watch timeout when the client asks for none (×1 to ×2)")
		fs.Parse(os.Args[1:])
		if err := serveAPI(*minTimeout); err != nil {
			fmt.Fprintln(os.Stderr, "api server:", err)
			os.Exit(1)
		}
		return
	}
	var stopWatches bool
	rollouts := 2
	// kube-apiserver's --min-request-timeout is 30 minutes: six simulated
	// 5-minute ticks of 1.5 s.
	minRequestTimeout := 9 * time.Second
	snap.Main(snap.Options{
		Out: "out", Source: "gateway", N: 24, Every: 1500 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Formats: "proto,debug2", GC: true, MemProfileRate: 16 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&stopWatches, "stop-watches", false, "stop each status watch when its handler returns (the fix)")
		fs.IntVar(&rollouts, "rollouts", rollouts, "rollouts (each with a status watch) per tick")
		fs.DurationVar(&minRequestTimeout, "min-request-timeout", minRequestTimeout, "the API server's timeout for watches that ask for none (×1 to ×2)")
	}, func(o *snap.Options) (func(int), error) {
		addr, ca, err := startAPIServer(minRequestTimeout)
		if err != nil {
			return nil, err
		}
		cs, err := kubernetes.NewForConfig(&rest.Config{
			Host:            "https://" + addr,
			TLSClientConfig: rest.TLSClientConfig{CAData: ca},
			UserAgent:       "rollout-gateway/1.4",
			QPS:             200, Burst: 400,
		})
		if err != nil {
			return nil, err
		}
		ctx := context.Background()
		for i := range apps {
			app := fmt.Sprintf("app-%02d", i)
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: namespace, Labels: map[string]string{"team": fmt.Sprintf("team-%d", i%3)}},
				Data:       map[string]string{"generation": "1", "config.yaml": appConfig(app, 1)},
			}
			if _, err := cs.CoreV1().ConfigMaps(namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				return nil, err
			}
		}
		// The shared informer: started once, lives as long as the process.
		factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(namespace))
		lister := factory.Core().V1().ConfigMaps().Lister()
		stop := make(chan struct{})
		factory.Start(stop)
		if !cache.WaitForCacheSync(stop, factory.Core().V1().ConfigMaps().Informer().HasSynced) {
			return nil, fmt.Errorf("informer did not sync")
		}
		g := &Gateway{cs: cs, lister: lister, stopWatches: stopWatches}
		next := 0
		return func(i int) {
			for range rollouts {
				app := fmt.Sprintf("app-%02d", next%apps)
				next++
				if err := g.Rollout(ctx, app); err != nil {
					fmt.Fprintln(os.Stderr, "rollout:", err)
				}
			}
			if err := g.SyncStatus(ctx, i); err != nil {
				fmt.Fprintln(os.Stderr, "status:", err)
			}
			for k := range lookupsPerTick {
				if _, err := g.Lookup(fmt.Sprintf("app-%02d", k%apps)); err != nil {
					fmt.Fprintln(os.Stderr, "lookup:", err)
				}
			}
		}, nil
	})
}
