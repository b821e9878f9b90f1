package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

// eventType is the catalog type the webhooks subscribe to and the events
// are published as.
const eventType = "transfer.created"

// cluster is the hookd processes sharing one PostgreSQL database.
type cluster struct {
	procs  []*hookdproc.Hookd
	apiKey string
	api    *http.Client

	mu     sync.Mutex
	addrs  []string       // per process: its address (publishers read it while a restart writes hookdproc's)
	starts []int          // per process: how many times it was started
	down   []bool         // per process: killed and not started again
	byPID  map[int]sender // every pid ever started
}

// startCluster starts n hookd processes on dsn, one after the other (the
// first creates the schema), each in a directory of its own under work
// (for its logs).
func startCluster(ctx context.Context, bin, work, dsn string, n int, attemptTimeout time.Duration) (*cluster, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	env := []string{"HOOKD_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(key)}
	if attemptTimeout > 0 {
		env = append(env, "HOOKD_ATTEMPT_TIMEOUT="+attemptTimeout.String())
	}
	c := &cluster{
		apiKey: hookdproc.NewAPIKey("hookd_multiproc_"),
		api:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		starts: make([]int, n), addrs: make([]string, n), down: make([]bool, n), byPID: map[int]sender{},
	}
	for i := range n {
		dir := filepath.Join(work, fmt.Sprintf("hookd-%c", 'a'+i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			c.stop()
			return nil, err
		}
		h := &hookdproc.Hookd{Bin: bin, Dir: dir, APIKey: c.apiKey, DB: dsn, Env: env}
		c.procs = append(c.procs, h)
		if err := c.start(ctx, i); err != nil {
			c.stop()
			return nil, fmt.Errorf("start hookd %c: %w", 'A'+i, err)
		}
	}
	return c, nil
}

// start (re)starts process i. Its pid is registered as soon as it runs:
// a restarted process delivers before it has logged that it listens, and
// its first requests must be attributed to it.
func (c *cluster) start(ctx context.Context, i int) error {
	c.procs[i].Started = func(pid int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.starts[i]++
		c.byPID[pid] = sender{proc: i, start: c.starts[i]}
	}
	if err := c.procs[i].Start(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addrs[i] = c.procs[i].Addr
	c.down[i] = false
	return nil
}

// live is process i, or while it is down the next process that is not.
func (c *cluster) live(i int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range c.down {
		if !c.down[i] {
			return i
		}
		i = (i + 1) % len(c.down)
	}
	return i
}

// sender is process i as the receiver attributes its requests.
func (c *cluster) sender(i int) sender {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byPID[c.procs[i].PID()]
}

// kill sends SIGKILL to process i (by pid) and waits until it is gone.
func (c *cluster) kill(i int) sender {
	c.mu.Lock()
	who := c.byPID[c.procs[i].PID()]
	c.down[i] = true
	c.mu.Unlock()
	c.procs[i].Kill()
	return who
}

// stop shuts every process down (SIGTERM by pid).
func (c *cluster) stop() {
	var wg sync.WaitGroup
	for _, h := range c.procs {
		wg.Add(1)
		go func() { defer wg.Done(); h.Stop() }()
	}
	wg.Wait()
}

// whoSent attributes a connection to the receiver (listening on
// serverPort) to the hookd process that dialled it: a process of the
// cluster, goneSender for one that died (its socket outlives it while the
// kernel sends what it had written), unknownSender when there is no such
// socket.
func (c *cluster) whoSent(serverPort int) func(remote string, accepted time.Time) sender {
	idx := &socketIndex{serverPort: serverPort, pids: func() []int {
		c.mu.Lock()
		defer c.mu.Unlock()
		pids := make([]int, 0, len(c.byPID))
		for pid := range c.byPID {
			pids = append(pids, pid)
		}
		return pids
	}}
	return func(remote string, accepted time.Time) sender {
		_, portStr, err := net.SplitHostPort(remote)
		if err != nil {
			return unknownSender
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return unknownSender
		}
		switch pid := idx.owner(port, accepted); pid {
		case noSocket:
			return unknownSender
		case ownerGone:
			return goneSender
		default:
			c.mu.Lock()
			defer c.mu.Unlock()
			if s, ok := c.byPID[pid]; ok {
				return s
			}
			return unknownSender
		}
	}
}

// call makes one API request to process i and decodes a 2xx answer into
// out (when not nil).
func (c *cluster) call(ctx context.Context, i int, method, path string, body, out any) error {
	c.mu.Lock()
	addr := c.addrs[i]
	c.mu.Unlock()
	if err := hookdproc.CallJSON(ctx, c.api, "http://"+addr, c.apiKey, method, path, body, out); err != nil {
		return fmt.Errorf("hookd %c: %w", 'A'+i, err)
	}
	return nil
}

// createWebhooks creates n account webhooks on url subscribed to
// eventType, round-robin through the processes.
func (c *cluster) createWebhooks(ctx context.Context, n int, url string, rc *receiver) error {
	for i := range n {
		path := fmt.Sprintf("/wh%d", i)
		var wh struct {
			Secret string `json:"secret"`
		}
		err := c.call(ctx, i%len(c.procs), http.MethodPost, "/v1/webhooks/account", map[string]any{
			"name": fmt.Sprintf("multiproc-%d", i), "url": url + path, "events": []string{eventType},
		}, &wh)
		if err != nil {
			return fmt.Errorf("create webhook %d: %w", i, err)
		}
		rc.trust(path, wh.Secret)
	}
	return nil
}

// exampleData is the catalog's example payload of eventType.
func (c *cluster) exampleData(ctx context.Context) (json.RawMessage, error) {
	var cat struct {
		Data []struct {
			Type    string          `json:"type"`
			Example json.RawMessage `json:"example"`
		} `json:"data"`
	}
	if err := c.call(ctx, 0, http.MethodGet, "/v1/webhooks/events", nil, &cat); err != nil {
		return nil, err
	}
	for _, et := range cat.Data {
		if et.Type == eventType && len(et.Example) > 0 {
			return et.Example, nil
		}
	}
	return nil, fmt.Errorf("the catalog has no example of %s", eventType)
}

// publish publishes event id through process i and returns how many
// deliveries hookd scheduled. The id makes a repeated call idempotent, so
// a publish cut by a kill can be made again without a second event.
func (c *cluster) publish(ctx context.Context, i int, id string, data json.RawMessage) (int, error) {
	var acc struct {
		Deliveries int `json:"deliveries"`
	}
	err := c.call(ctx, i, http.MethodPost, "/v1/events", map[string]any{"id": id, "type": eventType, "data": data}, &acc)
	return acc.Deliveries, err
}
