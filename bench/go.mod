module github.com/cellsubstrate/cell/bench

go 1.26.0

replace github.com/cellsubstrate/cell => ../

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0
	github.com/google/flatbuffers v25.12.19+incompatible
	golang.org/x/sys v0.50.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
	storj.io/drpc v1.0.0
)

require (
	github.com/zeebo/errs v1.2.2 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
)
