// Package pb holds the protobuf order message and the gRPC and drpc service code
// generated from orders.proto. Only this file is written by hand.
//
// Regenerating needs protoc (Debian: protobuf-compiler) and, on PATH,
// protoc-gen-go, protoc-gen-go-grpc and protoc-gen-go-drpc (go install them from
// google.golang.org/protobuf/cmd/protoc-gen-go, google.golang.org/grpc/cmd/protoc-gen-go-grpc
// and storj.io/drpc/cmd/protoc-gen-go-drpc).
package pb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative --go-drpc_out=. --go-drpc_opt=paths=source_relative orders.proto
