// Go net/http peer: /plaintext and /json (TechEmpower's definitions). GO_ADDR sets the address.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

type message struct {
	Message string `json:"message"`
}

func main() {
	addr := os.Getenv("GO_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8007"
	}
	http.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	http.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(message{Message: "Hello, World!"})
	})
	log.Fatal(http.ListenAndServe(addr, nil))
}
