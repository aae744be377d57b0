// Regenerate:
//
//	testdata/scenarios/regen.sh sqlrows sqlrows-closed
//
// Command sqlrows is a warehouse service on database/sql with the pure-Go
// SQLite driver modernc.org/sqlite (a WAL-mode database file in a temporary
// folder, removed at exit). Besides its steady work it runs a backorder
// allocator: a worker that, for each SKU restocked in a tick, looks up the
// oldest open backorder with (*Allocator).firstOpenBackorder, using the
// worker's context (cancelled only at shutdown). BUG (the leak):
// firstOpenBackorder returns from inside the rows.Next loop as soon as it
// finds an open backorder, without rows.Close(). Rows close by themselves
// only once Next has returned false (the lookups that find nothing), so
// every lookup that finds a backorder leaves its *sql.Rows open, and with it
//
//   - the connection it runs on: database/sql never gets it back, so the
//     pool (SetMaxOpenConns(0), unlimited, the default) opens another one
//     for the next query: a modernc.org/sqlite connection with its libc TLS
//     and its SQLite statement, which hold a read snapshot of the WAL;
//   - the goroutine database/sql starts for every Rows of a query with a
//     cancellable context, database/sql.(*Rows).awaitDone (created by
//     (*Rows).initContextClose), parked until the context ends: never;
//   - the child context initContextClose derives from the worker's context,
//     registered in the worker context's children.
//
// 6 of the 24 lookups per tick find a backorder: 6 more awaitDone goroutines
// and 6 more open connections per tick, for good.
// With a bounded pool (SetMaxOpenConns(n)) the service would instead stop
// after n leaks, every query waiting for a connection.
//
// -close-rows defers rows.Close() (the sqlrows-closed control): one idle
// connection or two, no awaitDone goroutine between ticks.
//
// Steady work around the leak: order handlers (each with a request context
// cancelled when it returns) insert stock movements in transactions, update
// stock levels and list recent movements with defer rows.Close().
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "modernc.org/sqlite"

	"github.com/leakdiff/leakdiff/testdata/scenarios/internal/snap"
)

const (
	skus              = 400
	ordersPerTick     = 120 // order handlers per tick (one transaction each)
	linesPerOrder     = 4
	listsPerTick      = 60 // "recent movements" listings per tick
	restocksPerTick   = 24 // SKUs restocked per tick: one allocator lookup each
	backordersPerTick = 6  // backorders queued per tick, for SKUs restocked in the same tick
)

// Store is the warehouse's database.
type Store struct {
	db *sql.DB
}

func openStore(path string) (*Store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(0) // unlimited, database/sql's default
	db.SetMaxIdleConns(2) // database/sql's default
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, qty INTEGER NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS movements (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, delta INTEGER NOT NULL, note TEXT, at INTEGER NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS movements_sku ON movements (sku, at)`,
		`CREATE TABLE IF NOT EXISTS backorders (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, customer TEXT NOT NULL, qty INTEGER NOT NULL, allocated INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS backorders_sku ON backorders (sku, created)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return nil, err
		}
	}
	return &Store{db: db}, nil
}

func sku(n int) string { return "SKU-" + strconv.Itoa(10000+n%skus) }

// placeOrder is an order handler: it books the order's lines as stock
// movements in one transaction.
func (s *Store) placeOrder(ctx context.Context, order, tick int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second) // the request's context
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for l := range linesPerOrder {
		sk := sku(order*7 + l*13)
		if _, err := tx.ExecContext(ctx, `INSERT INTO movements (sku, delta, note, at) VALUES (?, ?, ?, ?)`,
			sk, -(1 + l), "order "+strconv.Itoa(order), tick); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE stock SET qty = qty - ? WHERE sku = ?`, 1+l, sk); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Movement is one row of the movements listing.
type Movement struct {
	ID    int64
	SKU   string
	Delta int
	Note  string
}

// recentMovements lists a SKU's last movements.
func (s *Store) recentMovements(ctx context.Context, sk string) ([]Movement, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT id, sku, delta, note FROM movements WHERE sku = ? ORDER BY at DESC, id DESC LIMIT 20`, sk)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Movement
	for rows.Next() {
		var m Movement
		if err := rows.Scan(&m.ID, &m.SKU, &m.Delta, &m.Note); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Allocator assigns restocked units to backorders.
type Allocator struct {
	s         *Store
	closeRows bool
}

var errNoBackorder = errors.New("no open backorder")

// firstOpenBackorder returns the oldest open backorder of a SKU. BUG (the
// leak): without -close-rows it returns from inside the loop with the rows
// still open; rows close by themselves only when Next reaches the end.
func (a *Allocator) firstOpenBackorder(ctx context.Context, sk string) (int64, int, error) {
	rows, err := a.s.db.QueryContext(ctx, `SELECT id, qty, allocated FROM backorders WHERE sku = ? ORDER BY created, id`, sk)
	if err != nil {
		return 0, 0, err
	}
	if a.closeRows {
		defer rows.Close()
	}
	for rows.Next() {
		var id int64
		var qty, allocated int
		if err := rows.Scan(&id, &qty, &allocated); err != nil {
			return 0, 0, err
		}
		if allocated < qty {
			return id, qty - allocated, nil
		}
	}
	return 0, 0, errors.Join(errNoBackorder, rows.Err())
}

// restock books a delivery of a SKU and allocates it to its oldest open
// backorder, if any.
func (a *Allocator) restock(ctx context.Context, sk string, units, tick int) error {
	if _, err := a.s.db.ExecContext(ctx, `UPDATE stock SET qty = qty + ? WHERE sku = ?`, units, sk); err != nil {
		return err
	}
	id, open, err := a.firstOpenBackorder(ctx, sk)
	if errors.Is(err, errNoBackorder) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = a.s.db.ExecContext(ctx, `UPDATE backorders SET allocated = allocated + ? WHERE id = ?`, min(open, units), id)
	return err
}

// queueBackorders adds this tick's backorders, for 6 of the 24 SKUs
// restocked in the tick; each is small enough to be filled by the delivery.
func (s *Store) queueBackorders(ctx context.Context, tick int) error {
	for b := range backordersPerTick {
		n := tick*restocksPerTick + b*(restocksPerTick/backordersPerTick)
		if _, err := s.db.ExecContext(ctx, `INSERT INTO backorders (sku, customer, qty, created) VALUES (?, ?, ?, ?)`,
			sku(n), "cust-"+strconv.Itoa(n*31%9000), 1+b%3, tick*100+b); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	var closeRows bool
	snap.Main(snap.Options{
		Out: "out", Source: "warehouse", N: 24, Every: 700 * time.Millisecond,
		SimInterval: 5 * time.Minute, SimStart: time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC),
		Formats: "proto,debug2", GC: true, MemProfileRate: 32 << 10,
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&closeRows, "close-rows", false, "defer rows.Close() in the backorder lookup (the fix)")
	}, func(o *snap.Options) (func(int), error) {
		dir, err := os.MkdirTemp("", "sqlrows-")
		if err != nil {
			return nil, err
		}
		// Removed when the process exits normally (snap.Main returns).
		cleanup = func() { os.RemoveAll(dir) }
		s, err := openStore(filepath.Join(dir, "warehouse.db"))
		if err != nil {
			return nil, err
		}
		ctx := context.Background()
		for n := range skus {
			if _, err := s.db.ExecContext(ctx, `INSERT INTO stock (sku, qty) VALUES (?, ?)`, sku(n), 1000); err != nil {
				return nil, err
			}
		}
		// The allocator worker's context: cancelled at shutdown only.
		workerCtx, cancelWorker := context.WithCancel(ctx)
		_ = cancelWorker
		a := &Allocator{s: s, closeRows: closeRows}
		order := 0
		tick := func(i int) {
			for range ordersPerTick {
				order++
				if err := s.placeOrder(ctx, order, i); err != nil {
					panic(err)
				}
			}
			for l := range listsPerTick {
				if _, err := s.recentMovements(ctx, sku(i*listsPerTick+l)); err != nil {
					panic(err)
				}
			}
			if err := s.queueBackorders(ctx, i); err != nil {
				panic(err)
			}
			for r := range restocksPerTick {
				if err := a.restock(workerCtx, sku(i*restocksPerTick+r), 3, i); err != nil {
					panic(fmt.Errorf("restock: %w", err))
				}
			}
		}
		for w := range 3 {
			tick(-3 + w)
		}
		return tick, nil
	})
	cleanup()
}

var cleanup = func() {}
