// Package gensvc is cellgen's service generator: for every rpc_service a schema
// declares it writes the Go code that joins flatc's generated message types to the rpc
// runtime.
//
// For a service S with methods M1..Mn it writes, in the package of flatc's Go output
// (and of genverify's verifiers, which it calls):
//
//   - SServiceName, the name the service registers and is found by (its fully
//     qualified schema name), and the method ids SM1..SMn.
//   - SDesc, the rpc.ServiceDesc: every method's name and the shapes (field paths,
//     names and types) of its request and reply, from which the runtime computes the
//     per-method fingerprints the handshake compares (see rpc.Compatible).
//   - SServer (convenient tier: flatc object-API types in and out) and SInPlaceServer
//     (zero-copy tier: the request read in place, the reply built with a Builder the
//     runtime provides), with RegisterS and RegisterSInPlace.
//   - SClient, whose constructor NewSClient connects by service name, with, per method,
//     M (object types in and out) and MInPlace (build the request with the runtime's
//     Builder, which the transport copies once into its outbound slot, and read the reply
//     in place in a callback; the reply is valid until the callback returns, after which
//     the generated code releases it).
//
// Every request and reply is verified with the generated VerifyX before it is read.
// The output depends only on the schema and the Config, is gofmt-formatted and starts
// with the "Code generated ... DO NOT EDIT." line.
//
// The functions here are pure and safe for concurrent use.
package gensvc
