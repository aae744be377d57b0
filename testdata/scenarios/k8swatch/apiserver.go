package main

// The API server child: a small Kubernetes API server for ConfigMaps in one
// namespace, speaking the real wire protocol (JSON over HTTPS with HTTP/2,
// list, get, update, and watch with resourceVersion, allowWatchBookmarks,
// sendInitialEvents and the initial-events-end bookmark that client-go's
// watch-list reflector waits for), so the client side runs client-go's own
// code: rest.Request.Watch, watch.StreamWatcher, cache.Reflector. It runs as
// a child process (this program re-executed with -apiserver) so the profiles
// hold the client only, as they would in production.
//
// Like kube-apiserver it ends a watch that asked for no timeoutSeconds
// after a randomised request timeout (-min-request-timeout, ×1 to ×2), and
// it drops a watcher whose buffer is full.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
)

const historySize = 4096 // watch events kept for watches that resume from a resourceVersion

type watchEvent struct {
	Type   watch.EventType
	Object *corev1.ConfigMap
}

type apiWatcher struct {
	name string // field selector metadata.name, "" for all
	ch   chan watchEvent
	gone chan struct{} // closed when the server drops the watcher
	once sync.Once
}

func (w *apiWatcher) drop() { w.once.Do(func() { close(w.gone) }) }

type apiServer struct {
	minTimeout time.Duration

	mu       sync.Mutex
	rv       int64
	objs     map[string]*corev1.ConfigMap // namespace/name
	history  []watchEvent                 // ring of the last historySize events
	watchers map[*apiWatcher]struct{}
}

// serveAPI is the child: the API server on a loopback port until standard
// input closes. The certificate and key come in the environment; the first
// line on standard output is the address.
func serveAPI(minTimeout time.Duration) error {
	cert, err := tls.X509KeyPair([]byte(os.Getenv("APISERVER_CERT")), []byte(os.Getenv("APISERVER_KEY")))
	if err != nil {
		return err
	}
	s := &apiServer{minTimeout: minTimeout, objs: map[string]*corev1.ConfigMap{}, watchers: map[*apiWatcher]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/configmaps", s.listOrWatch)
	mux.HandleFunc("POST /api/v1/namespaces/{ns}/configmaps", s.create)
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/configmaps/{name}", s.get)
	mux.HandleFunc("PUT /api/v1/namespaces/{ns}/configmaps/{name}", s.update)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}},
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: 1000},
	}
	go srv.ServeTLS(ln, "", "")
	fmt.Println(ln.Addr().String())
	_, err = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return err
}

// negotiate picks protobuf when the client accepts it (client-go's typed
// clients do), else JSON, as kube-apiserver does for built-in types.
func negotiate(r *http.Request) runtime.SerializerInfo {
	mt := runtime.ContentTypeJSON
	if strings.Contains(r.Header.Get("Accept"), runtime.ContentTypeProtobuf) {
		mt = runtime.ContentTypeProtobuf
	}
	info, _ := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), mt)
	return info
}

func (s *apiServer) reply(w http.ResponseWriter, r *http.Request, code int, obj runtime.Object) {
	info := negotiate(r)
	data, err := runtime.Encode(scheme.Codecs.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion), obj)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.WriteHeader(code)
	w.Write(data)
}

func (s *apiServer) status(w http.ResponseWriter, r *http.Request, code int, reason metav1.StatusReason, msg string) {
	s.reply(w, r, code, &metav1.Status{Status: metav1.StatusFailure, Message: msg, Reason: reason, Code: int32(code)})
}

// decode reads a ConfigMap from a request body, protobuf or JSON.
func decode(r *http.Request) (*corev1.ConfigMap, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		return nil, err
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, fmt.Errorf("not a ConfigMap: %T", obj)
	}
	return cm, nil
}

// commit stores cm with the next resourceVersion and sends the event to
// every matching watcher. Called with s.mu held.
func (s *apiServer) commit(typ watch.EventType, cm *corev1.ConfigMap) *corev1.ConfigMap {
	s.rv++
	cm = cm.DeepCopy()
	cm.ResourceVersion = strconv.FormatInt(s.rv, 10)
	s.objs[cm.Namespace+"/"+cm.Name] = cm
	ev := watchEvent{Type: typ, Object: cm}
	if len(s.history) == historySize {
		s.history = s.history[1:]
	}
	s.history = append(s.history, ev)
	for w := range s.watchers {
		if w.name != "" && w.name != cm.Name {
			continue
		}
		select {
		case w.ch <- ev:
		default: // too slow: drop it, as the watch cache does
			delete(s.watchers, w)
			w.drop()
		}
	}
	return cm
}

func (s *apiServer) create(w http.ResponseWriter, r *http.Request) {
	cm, err := decode(r)
	if err != nil {
		s.status(w, r, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
		return
	}
	cm.Namespace = r.PathValue("ns")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objs[cm.Namespace+"/"+cm.Name]; ok {
		s.status(w, r, http.StatusConflict, metav1.StatusReasonAlreadyExists, "configmaps \""+cm.Name+"\" already exists")
		return
	}
	cm.UID = types.UID("uid-" + cm.Name)
	cm.CreationTimestamp = metav1.Now()
	s.reply(w, r, http.StatusCreated, s.commit(watch.Added, cm))
}

func (s *apiServer) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cm, ok := s.objs[r.PathValue("ns")+"/"+r.PathValue("name")]
	s.mu.Unlock()
	if !ok {
		s.status(w, r, http.StatusNotFound, metav1.StatusReasonNotFound, "configmaps \""+r.PathValue("name")+"\" not found")
		return
	}
	s.reply(w, r, http.StatusOK, cm)
}

func (s *apiServer) update(w http.ResponseWriter, r *http.Request) {
	cm, err := decode(r)
	if err != nil {
		s.status(w, r, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
		return
	}
	key := r.PathValue("ns") + "/" + r.PathValue("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.objs[key]
	if !ok {
		s.status(w, r, http.StatusNotFound, metav1.StatusReasonNotFound, "configmaps \""+r.PathValue("name")+"\" not found")
		return
	}
	if cm.ResourceVersion != "" && cm.ResourceVersion != old.ResourceVersion {
		s.status(w, r, http.StatusConflict, metav1.StatusReasonConflict, "the object has been modified; please apply your changes to the latest version and try again")
		return
	}
	cm.Namespace, cm.Name, cm.UID, cm.CreationTimestamp = old.Namespace, old.Name, old.UID, old.CreationTimestamp
	s.reply(w, r, http.StatusOK, s.commit(watch.Modified, cm))
}

// nameSelector reads the only field selector clients use here,
// metadata.name=NAME.
func nameSelector(r *http.Request) string {
	name, _ := strings.CutPrefix(r.URL.Query().Get("fieldSelector"), "metadata.name=")
	return name
}

func (s *apiServer) listOrWatch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ns, name := r.PathValue("ns"), nameSelector(r)
	if q.Get("watch") == "true" || q.Get("watch") == "1" {
		s.watch(w, r, ns, name)
		return
	}
	s.mu.Lock()
	list := &corev1.ConfigMapList{}
	list.ResourceVersion = strconv.FormatInt(s.rv, 10)
	for _, cm := range s.objs {
		if cm.Namespace == ns && (name == "" || cm.Name == name) {
			list.Items = append(list.Items, *cm)
		}
	}
	s.mu.Unlock()
	s.reply(w, r, http.StatusOK, list)
}

func (s *apiServer) watch(w http.ResponseWriter, r *http.Request, ns, name string) {
	q := r.URL.Query()
	timeout := time.Duration(float64(s.minTimeout) * (1 + mrand.Float64()))
	if t, err := strconv.Atoi(q.Get("timeoutSeconds")); err == nil && t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	from, _ := strconv.ParseInt(q.Get("resourceVersion"), 10, 64)
	initial := q.Get("sendInitialEvents") == "true"
	bookmarks := q.Get("allowWatchBookmarks") == "true"

	wt := &apiWatcher{name: name, ch: make(chan watchEvent, 256), gone: make(chan struct{})}
	var backlog []watchEvent
	s.mu.Lock()
	now := s.rv
	if initial {
		for _, cm := range s.objs {
			if cm.Namespace == ns && (name == "" || cm.Name == name) {
				backlog = append(backlog, watchEvent{Type: watch.Added, Object: cm})
			}
		}
		if bookmarks {
			bm := &corev1.ConfigMap{}
			bm.ResourceVersion = strconv.FormatInt(now, 10)
			bm.Annotations = map[string]string{metav1.InitialEventsAnnotationKey: "true"}
			backlog = append(backlog, watchEvent{Type: watch.Bookmark, Object: bm})
		}
	} else if from > 0 {
		for _, ev := range s.history {
			rv, _ := strconv.ParseInt(ev.Object.ResourceVersion, 10, 64)
			if rv > from && ev.Object.Namespace == ns && (name == "" || ev.Object.Name == name) {
				backlog = append(backlog, ev)
			}
		}
	}
	s.watchers[wt] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watchers, wt)
		s.mu.Unlock()
	}()

	// The stream: framed WatchEvents whose objects are encoded on their
	// own, "application/vnd.kubernetes.protobuf;stream=watch" or JSON.
	info := negotiate(r)
	objEnc := scheme.Codecs.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion)
	fl := w.(http.Flusher)
	enc := streaming.NewEncoder(info.StreamSerializer.Framer.NewFrameWriter(w), info.StreamSerializer.Serializer)
	send := func(ev watchEvent) bool {
		raw, err := runtime.Encode(objEnc, ev.Object)
		if err != nil {
			return false
		}
		if enc.Encode(&metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}}) != nil {
			return false
		}
		fl.Flush()
		return true
	}
	mt := info.MediaType
	if info.StreamSerializer.Framer != nil && mt == runtime.ContentTypeProtobuf {
		mt += ";stream=watch"
	}
	w.Header().Set("Content-Type", mt)
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	for _, ev := range backlog {
		if !send(ev) {
			return
		}
	}
	end := time.NewTimer(timeout)
	defer end.Stop()
	for {
		select {
		case ev := <-wt.ch:
			if !send(ev) {
				return
			}
		case <-wt.gone:
			return
		case <-end.C:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// startAPIServer starts the child with a fresh self-signed certificate for
// 127.0.0.1 and returns its address and the certificate (the client's CA).
func startAPIServer(minTimeout time.Duration) (addr string, caPEM []byte, err error) {
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return "", nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, "-apiserver", "-min-request-timeout", minTimeout.String())
	cmd.Env = append(os.Environ(), "APISERVER_CERT="+string(certPEM), "APISERVER_KEY="+string(keyPEM))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	apiStdin = stdin // kept open (and reachable) until exit
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return "", nil, fmt.Errorf("api server: %w", err)
	}
	return strings.TrimSpace(line), certPEM, nil
}

// apiStdin is the write end of the API server child's standard input.
var apiStdin io.WriteCloser

func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
