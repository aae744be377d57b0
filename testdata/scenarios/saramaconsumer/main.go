// Regenerate:
//
//	testdata/scenarios/regen.sh saramaconsumer saramaconsumer-closed
//
// Command saramaconsumer is an order-tracking service on Kafka with
// github.com/IBM/sarama. The Kafka broker is sarama's own MockBroker, in a
// child process (this program re-executed with -kafka-broker, on 127.0.0.1,
// ending when its standard input closes), serving the topic order-events (8
// partitions of order events: placed, paid, packed, shipped, then
// delivered or cancelled), so the profiles hold the client only, as they
// would in production.
//
// The service shares one sarama.Client. Its projector consumes every
// partition with one long-lived Consumer and drains a steady number of
// events per tick. Its history endpoint, (*History).Events, answers "what
// happened to order N" by replaying the order's partition from the order's
// first event: it creates a Consumer on the shared client
// (sarama.NewConsumerFromClient), calls ConsumePartition from that offset
// and reads until the order's last event. BUG (the leak): when the order
// was delivered, Events returns from inside the read loop without closing
// the PartitionConsumer or the Consumer (only the path that gives up after
// a window of events closes them). Sarama documents that both must be
// closed: nothing stops them when they go out of scope. Each abandoned
// consumer keeps four goroutines for good,
//
//	(*partitionConsumer).dispatcher      select: its trigger, dying, dispatcherStop channels
//	(*partitionConsumer).responseFeeder  blocked sending the next message on Messages(), which nobody reads
//	(*brokerConsumer).subscriptionManager and (*brokerConsumer).subscriptionConsumer
//	                                     the consumer's fetch loop for the broker (idle: its only subscription stalled)
//
// and on the heap the messages it fetched past the order's last event: its
// Messages() channel buffer full (ChannelBufferSize, 256 messages), the rest
// of the last fetch response, and the response buffers they point into.
// One delivered order is looked up per tick: 4 more goroutines per tick.
//
// -close closes the PartitionConsumer and the Consumer on every path (the
// saramaconsumer-closed control): no history consumer outlives its request.
//
// Steady work around the leak: the projector's consumer (8 partition
// consumers, one broker consumer) drains 40 events per partition per tick
// into a bounded per-order state table, and a second history lookup per
// tick hits an order that was cancelled: read to the end of its window, then
// closed.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"time"

	"github.com/IBM/sarama"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	topic         = "order-events"
	partitions    = 8
	ordersPerPart = 1400 // orders whose events are in each partition
	window        = 160  // events after an order's first event within which its last one falls
	drainPerTick  = 40   // events the projector handles per partition per tick
	projectorSize = 256  // orders the projector keeps state for
	catchUp       = 200  // events per partition the projector handles at start
)

var eventTypes = [...]string{"placed", "paid", "packed", "shipped", "delivered"}

// Event is one order event, as JSON in a Kafka message (about 900 bytes:
// each event carries the order's lines and address).
type Event struct {
	Order     int    `json:"order"`
	Type      string `json:"type"`
	At        int64  `json:"at"`
	Warehouse string `json:"warehouse"`
	ShipTo    string `json:"ship_to"`
	Lines     []Line `json:"lines"`
}

// Line is one line of an order.
type Line struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Quantity int    `json:"qty"`
	PriceCts int64  `json:"price_cts"`
}

// cancelled reports whether order k was cancelled after packing (one in 5).
func cancelled(k int) bool { return k%5 == 3 }

type placed struct {
	t, k, j int
}

// schedule lays out the events of partition p in offset order and returns
// them with the offset of each order's first event. Order k's event j
// happens at time 4k + 23j: orders overlap, so a partition interleaves the
// events of about 30 orders. Deterministic: the broker and the service
// compute the same layout.
func schedule(p int) (events []Event, first map[int]int64) {
	var ps []placed
	for k := range ordersPerPart {
		for j := range eventTypes {
			ps = append(ps, placed{t: 4*k + 23*j, k: k, j: j})
		}
	}
	sort.Slice(ps, func(a, b int) bool {
		if ps[a].t != ps[b].t {
			return ps[a].t < ps[b].t
		}
		return ps[a].k < ps[b].k
	})
	first = map[int]int64{}
	for off, e := range ps {
		order := p*100000 + e.k
		typ := eventTypes[e.j]
		if e.j == 4 && cancelled(e.k) {
			typ = "cancelled"
		}
		if e.j == 0 {
			first[order] = int64(off)
		}
		ev := Event{Order: order, Type: typ, At: int64(1796000000 + e.t), Warehouse: "wh-" + strconv.Itoa(e.k%7),
			ShipTo: "Customer " + strconv.Itoa(order) + ", " + strconv.Itoa(1+e.k%180) + " Harbour Road, Unit " + strconv.Itoa(e.k%40) + ", 20457 Hamburg, DE"}
		for l := range 6 {
			n := (e.k*7 + l*13) % 900
			ev.Lines = append(ev.Lines, Line{SKU: "SKU-" + strconv.Itoa(10000+n), Name: "Stainless steel water bottle 750 ml, model " + strconv.Itoa(n), Quantity: 1 + l%3, PriceCts: int64(1299 + n)})
		}
		events = append(events, ev)
	}
	return events, first
}

// History answers order-history queries by replaying a partition.
type History struct {
	client sarama.Client
	first  map[int]int64 // order → offset of its first event
	close  bool
}

var errNotFound = errors.New("order not found")

// Events returns the events of an order. BUG (the leak): without -close, a
// delivered order returns from inside the loop with the PartitionConsumer
// and the Consumer still running.
func (h *History) Events(order int) ([]Event, error) {
	start, ok := h.first[order]
	if !ok {
		return nil, errNotFound
	}
	c, err := sarama.NewConsumerFromClient(h.client)
	if err != nil {
		return nil, err
	}
	pc, err := c.ConsumePartition(topic, int32(order/100000), start)
	if err != nil {
		c.Close()
		return nil, err
	}
	if h.close {
		defer c.Close()
		defer pc.Close()
	}
	var out []Event
	for msg := range pc.Messages() {
		var ev Event
		if err := json.Unmarshal(msg.Value, &ev); err != nil {
			return nil, err
		}
		if ev.Order == order {
			out = append(out, ev)
			if ev.Type == "delivered" {
				return out, nil
			}
		}
		if msg.Offset >= start+window {
			break
		}
	}
	if !h.close {
		pc.Close()
		c.Close()
	}
	return out, nil
}

// Projector keeps the latest state of recent orders.
type Projector struct {
	pcs   []sarama.PartitionConsumer
	state map[int]string
	order []int
}

func (p *Projector) drain(n int) error {
	for _, pc := range p.pcs {
		for range n {
			select {
			case msg := <-pc.Messages():
				var ev Event
				if err := json.Unmarshal(msg.Value, &ev); err != nil {
					return err
				}
				if _, ok := p.state[ev.Order]; !ok {
					p.order = append(p.order, ev.Order)
					if len(p.order) > projectorSize {
						delete(p.state, p.order[0])
						p.order = p.order[1:]
					}
				}
				p.state[ev.Order] = ev.Type
			case err := <-pc.Errors():
				return err
			case <-time.After(5 * time.Second):
				return errors.New("projector: no message in 5s")
			}
		}
	}
	return nil
}

// brokerStdin is the write end of the broker child's standard input.
var brokerStdin io.WriteCloser

// startBroker runs this program again as the Kafka broker and returns its
// address.
func startBroker() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(self, "-kafka-broker")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	brokerStdin = stdin // kept open until exit
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return "", fmt.Errorf("kafka broker: %w", err)
	}
	return line[:len(line)-1], nil
}

// reporter is the MockBroker's TestReporter outside a test: errors go to
// standard error, fatal ones end the process.
type reporter struct{}

func (reporter) Error(args ...any)                 { log.Print(args...) }
func (reporter) Errorf(format string, args ...any) { log.Printf(format, args...) }
func (reporter) Fatal(args ...any)                 { log.Fatal(args...) }
func (reporter) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }
func (reporter) Helper()                           {}

// serveBroker is the child: a MockBroker with the topic's events until
// standard input closes.
func serveBroker() error {
	var t reporter
	b := sarama.NewMockBrokerAddr(t, 1, "127.0.0.1:0")
	defer b.Close()
	meta := sarama.NewMockMetadataResponse(t).SetBroker(b.Addr(), b.BrokerID()).SetController(b.BrokerID())
	offsets := sarama.NewMockOffsetResponse(t)
	fetch := sarama.NewMockFetchResponse(t, 64)
	for p := range partitions {
		meta.SetLeader(topic, int32(p), b.BrokerID())
		events, _ := schedule(p)
		offsets.SetOffset(topic, int32(p), sarama.OffsetOldest, 0).SetOffset(topic, int32(p), sarama.OffsetNewest, int64(len(events)))
		for off, ev := range events {
			v, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			fetch.SetMessageWithKey(topic, int32(p), int64(off), sarama.StringEncoder(strconv.Itoa(ev.Order)), sarama.ByteEncoder(v))
		}
		fetch.SetHighWaterMark(topic, int32(p), int64(len(events)))
	}
	b.SetHandlerByMap(map[string]sarama.MockResponse{
		// The APIs this broker serves (Fetch, ListOffsets, Metadata,
		// ApiVersions), at the versions of Kafka 2.8.
		"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t).SetApiKeys([]sarama.ApiVersionsResponseKey{
			{ApiKey: 1, MinVersion: 0, MaxVersion: 10},
			{ApiKey: 2, MinVersion: 0, MaxVersion: 6},
			{ApiKey: 3, MinVersion: 0, MaxVersion: 11},
			{ApiKey: 18, MinVersion: 0, MaxVersion: 3},
		}),
		"MetadataRequest": meta,
		"OffsetRequest":   offsets,
		"FetchRequest":    fetch,
	})
	fmt.Println(b.Addr())
	_, err := io.Copy(io.Discard, os.Stdin)
	return err
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-kafka-broker" {
		if err := serveBroker(); err != nil {
			fmt.Fprintln(os.Stderr, "kafka broker:", err)
			os.Exit(1)
		}
		return
	}
	var closeAll bool
	snap.Main(snap.Options{
		Out: "out", Source: "tracking", N: 24, Every: 700 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC),
		Formats: "proto,debug2", GC: true, MemProfileRate: 64 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&closeAll, "close", false, "close the history's PartitionConsumer and Consumer on every path (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		addr, err := startBroker()
		if err != nil {
			return nil, err
		}
		cfg := sarama.NewConfig()
		cfg.ClientID = "order-tracking"
		cfg.Consumer.Return.Errors = true
		client, err := sarama.NewClient([]string{addr}, cfg)
		if err != nil {
			return nil, err
		}
		h := &History{client: client, first: map[int]int64{}, close: closeAll}
		for p := range partitions {
			_, first := schedule(p)
			for k, v := range first {
				h.first[k] = v
			}
		}
		projector := &Projector{state: map[int]string{}}
		pc0, err := sarama.NewConsumerFromClient(client)
		if err != nil {
			return nil, err
		}
		for p := range partitions {
			pc, err := pc0.ConsumePartition(topic, int32(p), sarama.OffsetOldest)
			if err != nil {
				return nil, err
			}
			projector.pcs = append(projector.pcs, pc)
		}
		// Catch up first: the state table is full before the first
		// snapshot.
		if err := projector.drain(catchUp); err != nil {
			return nil, err
		}
		lookup := 0
		tick := func(i int) {
			if err := projector.drain(drainPerTick); err != nil {
				panic(err)
			}
			// Two lookups: a delivered order, a cancelled one.
			for range 2 {
				lookup++
				k := 40 + lookup*7%(ordersPerPart-80) // deterministic, spread over the partition
				for cancelled(k) != (lookup%2 == 0) {
					k++
				}
				order := (lookup%partitions)*100000 + k
				evs, err := h.Events(order)
				if err != nil {
					panic(fmt.Errorf("history of %d: %w", order, err))
				}
				if len(evs) != len(eventTypes) {
					panic(fmt.Errorf("history of %d: %d events", order, len(evs)))
				}
			}
			time.Sleep(150 * time.Millisecond) // let abandoned consumers fill up and stall
		}
		for w := range 2 {
			tick(-2 + w)
		}
		return tick, nil
	})
}
