module farebox.dev/bench/upstream

go 1.22
