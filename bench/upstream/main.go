// A small, fast HTTP upstream for the proxy benchmarks: every path answers 200 with a short
// JSON body. The same binary stands behind every proxy measured (and alone, as the baseline).
//
//	upstream -listen 127.0.0.1:9000
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "host:port to listen on")
	flag.Parse()
	body := []byte(`{"ok":true,"joke":"a farebox bench answer"}`)
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	srv := &http.Server{Addr: *listen, Handler: h}
	log.Fatal(srv.ListenAndServe())
}
