package grpcx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/upstatehq/upstate/pkg/logging"
)

// pinger is a gRPC service with a unary and a streaming method, both
// answering with an empty message.
var pinger = &grpc.ServiceDesc{
	ServiceName: "upstate.test.v1.PingService",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Ping",
		Handler: func(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			var in emptypb.Empty
			if err := dec(&in); err != nil {
				return nil, err
			}
			info := &grpc.UnaryServerInfo{FullMethod: "/upstate.test.v1.PingService/Ping"}
			return interceptor(ctx, &in, info, func(context.Context, any) (any, error) { return &emptypb.Empty{}, nil })
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Watch",
		ServerStreams: true,
		Handler: func(_ any, stream grpc.ServerStream) error {
			var in emptypb.Empty
			if err := stream.RecvMsg(&in); err != nil {
				return err
			}
			return stream.SendMsg(&emptypb.Empty{})
		},
	}},
}

// servePinger serves pinger behind auth and returns its address.
func servePinger(t *testing.T, auth Auth) string {
	t.Helper()
	srv := NewServer(logging.Discard(), prometheus.NewRegistry(), auth)
	srv.RegisterService(pinger, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(context.Background()) })
	return lis.Addr().String()
}

// calls makes a unary and a streaming call with auth's credentials and
// returns their errors.
func calls(t *testing.T, addr string, auth Auth) (unary, stream error) {
	t.Helper()
	conn, err := Dial(addr, auth)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unary = conn.Invoke(ctx, "/upstate.test.v1.PingService/Ping", &emptypb.Empty{}, &emptypb.Empty{})
	s, err := conn.NewStream(ctx, &pinger.Streams[0], "/upstate.test.v1.PingService/Watch")
	if err == nil {
		if err = s.SendMsg(&emptypb.Empty{}); err == nil {
			if err = s.CloseSend(); err == nil {
				err = s.RecvMsg(&emptypb.Empty{})
			}
		}
	}
	return unary, err
}

func healthOf(t *testing.T, addr string, auth Auth) (healthpb.HealthCheckResponse_ServingStatus, error) {
	t.Helper()
	conn, err := Dial(addr, auth)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return res.GetStatus(), err
}

// A server with a token refuses unary and streaming calls that lack it
// or carry another, and answers health to anyone.
func TestTokenAuth(t *testing.T) {
	t.Parallel()
	addr := servePinger(t, Auth{Token: "s3cret-token"})
	tests := []struct {
		name string
		auth Auth
		code codes.Code
	}{
		{"no token", Auth{}, codes.Unauthenticated},
		{"wrong token", Auth{Token: "s3cret-tokem"}, codes.Unauthenticated},
		{"token prefix", Auth{Token: "s3cret"}, codes.Unauthenticated},
		{"right token", Auth{Token: "s3cret-token"}, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			unary, stream := calls(t, addr, tt.auth)
			if status.Code(unary) != tt.code || status.Code(stream) != tt.code {
				t.Fatalf("unary %v, stream %v; want %s", unary, stream, tt.code)
			}
		})
	}
	t.Run("health without token", func(t *testing.T) {
		t.Parallel()
		if s, err := healthOf(t, addr, Auth{}); err != nil || s != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %v, %v; want SERVING", s, err)
		}
	})
}

// Under mutual TLS a server takes calls only from clients whose
// certificate its CA signed: a client without one (Go's client does not
// send a certificate the server's CA did not sign) gets health only, and
// one that sends another CA's certificate fails the handshake.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCA(t, "upstate ca")
	server := ca.issue(t, "status")
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.cert.Raw)
	writePEM(t, filepath.Join(dir, "tls.crt"), "CERTIFICATE", server.Certificate[0])
	key, err := x509.MarshalPKCS8PrivateKey(server.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "tls.key"), "PRIVATE KEY", key)
	serverTLS, err := LoadMutualTLS(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	const token = "s3cret-token"
	addr := servePinger(t, Auth{Token: token, TLS: serverTLS})

	other := newCA(t, "another ca")
	tests := []struct {
		name string
		auth Auth
		ok   bool
	}{
		{"client certificate from the CA", Auth{Token: token, TLS: &MutualTLS{Cert: ca.issue(t, "incidents"), CA: ca.pool()}}, true},
		{"client certificate from another CA", Auth{Token: token, TLS: &MutualTLS{Cert: other.issue(t, "intruder"), CA: ca.pool()}}, false},
		{"no client certificate", Auth{Token: token, TLS: &MutualTLS{CA: ca.pool()}}, false},
		{"plaintext", Auth{Token: token}, false},
		{"client certificate without token", Auth{TLS: &MutualTLS{Cert: ca.issue(t, "edge"), CA: ca.pool()}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			unary, stream := calls(t, addr, tt.auth)
			if tt.ok != (unary == nil) || tt.ok != (stream == nil) {
				t.Fatalf("unary %v, stream %v; want ok=%t", unary, stream, tt.ok)
			}
		})
	}
	t.Run("no client certificate gets Unauthenticated", func(t *testing.T) {
		t.Parallel()
		unary, _ := calls(t, addr, Auth{Token: token, TLS: &MutualTLS{CA: ca.pool()}})
		if status.Code(unary) != codes.Unauthenticated {
			t.Fatalf("unary %v, want Unauthenticated", unary)
		}
	})
	t.Run("health without credentials", func(t *testing.T) {
		t.Parallel()
		if s, err := healthOf(t, addr, Auth{TLS: &MutualTLS{CA: ca.pool()}}); err != nil || s != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %v, %v; want SERVING", s, err)
		}
	})
	t.Run("handshake with a certificate from another CA", func(t *testing.T) {
		t.Parallel()
		intruder := other.issue(t, "intruder")
		conn, err := tls.Dial("tcp", addr, &tls.Config{
			RootCAs: ca.pool(), ServerName: "127.0.0.1", NextProtos: []string{"h2"},
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &intruder, nil },
		})
		if err == nil {
			defer conn.Close()
			// Under TLS 1.3 the server's verdict arrives after the client's
			// handshake: as an alert on the first read.
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = conn.Read(make([]byte, 1))
		}
		if err == nil || !strings.Contains(err.Error(), "unknown certificate authority") {
			t.Fatalf("handshake with another CA's certificate: %v, want unknown certificate authority", err)
		}
	})
	t.Run("server certificate from another CA", func(t *testing.T) {
		t.Parallel()
		unary, _ := calls(t, addr, Auth{Token: token, TLS: &MutualTLS{Cert: other.issue(t, "incidents"), CA: other.pool()}})
		if unary == nil {
			t.Fatal("the client trusted a server its CA did not sign")
		}
	})
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue returns a certificate for name, good as client and as server on
// the loopback address.
func (ca *testCA) issue(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{name, "localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
