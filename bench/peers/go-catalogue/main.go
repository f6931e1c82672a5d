// Go net/http peer for the catalogue scenario: GET /sections as examples/catalogue serves it with its cache
// off (the same SQL on the same PostgreSQL tables, the same JSON, ETag and status codes), on the standard
// library and lib/pq, as the migration article's Go service was. DATABASE_URL names the database, GO_ADDR
// the address. Built in GOPATH mode against Debian's golang-github-lib-pq-dev (bench/run does it).
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"

	_ "github.com/lib/pq"
)

var countries = map[string]bool{}
var devices = map[string]bool{}

const visible = "(countries = '' OR countries LIKE $1) AND (devices = '' OR devices LIKE $2) AND min_version_key <= $3"

type entry struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

type page struct {
	Count     int     `json:"count"`
	Items     []entry `json:"items"`
	Remaining int     `json:"remaining"`
}

type problem struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

func fail(w http.ResponseWriter, status int, title, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{title, description})
}

// versionKey reads 1 to 4 dot-separated parts of up to 4 digits into one ordered integer.
func versionKey(text string) (int64, bool) {
	parts := strings.Split(text, ".")
	if len(parts) > 4 {
		return 0, false
	}
	var key int64
	for i := 0; i < 4; i++ {
		key *= 10000
		if i < len(parts) {
			p := parts[i]
			if p == "" || len(p) > 4 || strings.Trim(p, "0123456789") != "" {
				return 0, false
			}
			n, _ := strconv.Atoi(p)
			key += int64(n)
		}
	}
	return key, true
}

func main() {
	addr := os.Getenv("GO_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8007"
	}
	db, err := sql.Open("postgres", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	for _, c := range strings.Split("ZA,NG,KE,GH,EG,MA,TZ,UG,GB,NL,PL,US", ",") {
		countries[c] = true
	}
	for _, d := range strings.Split("android,ios,web,tv", ",") {
		devices[d] = true
	}
	list, err := db.Prepare("SELECT slug, name, position FROM section WHERE " + visible + " ORDER BY position")
	if err != nil {
		log.Fatal(err)
	}
	position, err := db.Prepare("SELECT position FROM section WHERE slug = $1")
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/sections", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		country := strings.ToUpper(q.Get("country"))
		if country == "" {
			w.Header().Add("Vary", "X-Country")
			if h := strings.ToUpper(strings.TrimSpace(r.Header.Get("X-Country"))); countries[h] {
				country = h
			}
		} else if !countries[country] {
			fail(w, 400, "Invalid parameter", `The "country" parameter is invalid.`)
			return
		}
		device := strings.ToLower(q.Get("device"))
		if device != "" && !devices[device] {
			fail(w, 400, "Invalid parameter", `The "device" parameter is invalid.`)
			return
		}
		var key int64
		if v := q.Get("app_version"); v != "" {
			k, ok := versionKey(v)
			if !ok {
				fail(w, 400, "Invalid parameter", `The "app_version" parameter is invalid.`)
				return
			}
			key = k
		}
		limit := 20
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 || n > 100 {
				fail(w, 400, "Invalid parameter", `The "limit" parameter is invalid.`)
				return
			}
			limit = n
		}
		after := int64(-1 << 63)
		if m := q.Get("marker"); m != "" {
			if err := position.QueryRow(m).Scan(&after); err == sql.ErrNoRows {
				fail(w, 400, "Invalid parameter", `The "marker" parameter is invalid.`)
				return
			} else if err != nil {
				fail(w, 503, "Database unavailable", err.Error())
				return
			}
		}
		like := func(v string) string {
			if v == "" {
				return ""
			}
			return "%," + v + ",%"
		}
		rows, err := list.Query(like(country), like(device), key)
		if err != nil {
			fail(w, 503, "Database unavailable", err.Error())
			return
		}
		defer rows.Close()
		p := page{Items: make([]entry, 0, limit)}
		for rows.Next() {
			var e entry
			var pos int64
			if err := rows.Scan(&e.Slug, &e.Name, &pos); err != nil {
				fail(w, 500, "Internal Server Error", "")
				return
			}
			if pos <= after {
				continue
			}
			if len(p.Items) < limit {
				p.Items = append(p.Items, e)
			} else {
				p.Remaining++
			}
		}
		p.Count = len(p.Items)
		body, _ := json.Marshal(p)
		h := fnv.New64a()
		h.Write(body)
		tag := fmt.Sprintf(`"%016x"`, h.Sum64())
		w.Header().Set("ETag", tag)
		w.Header().Set("Cache-Control", "public, max-age=60")
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(addr, nil))
}
