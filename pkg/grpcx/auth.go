package grpcx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// authorizationHeader carries the shared token as "Bearer <token>".
const authorizationHeader = "authorization"

// healthPrefix is the one service callable without credentials, so
// probes and load balancers need none.
var healthPrefix = "/" + healthpb.Health_ServiceDesc.ServiceName + "/"

// Auth is how services prove to each other that they are upstate's: a
// shared token every call carries, and optionally mutual TLS. A server
// refuses every call but health that lacks them with Unauthenticated; a
// client presents them on every call. The zero Auth authenticates
// nothing: only for a network that admits no one else.
type Auth struct {
	// Token is the shared secret; empty: calls carry none and servers ask
	// for none.
	Token string
	// TLS, when set, encrypts the traffic, verifies servers against its
	// CA and makes servers require a client certificate from that CA.
	TLS *MutualTLS
}

// MutualTLS is a process's certificate and the CA it trusts for both
// ends of a connection.
type MutualTLS struct {
	Cert tls.Certificate
	CA   *x509.CertPool
}

// LoadMutualTLS reads a PEM certificate and key and the PEM CA bundle
// that signs every upstate service's certificate.
func LoadMutualTLS(certFile, keyFile, caFile string) (*MutualTLS, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load grpc tls certificate: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("load grpc tls ca: %w", err)
	}
	ca := x509.NewCertPool()
	if !ca.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("load grpc tls ca: no certificate in %s", caFile)
	}
	return &MutualTLS{Cert: cert, CA: ca}, nil
}

// serverOptions are the transport credentials and interceptors that make
// a server refuse unauthenticated calls.
func (a Auth) serverOptions() []grpc.ServerOption {
	var opts []grpc.ServerOption
	if a.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{a.TLS.Cert},
			ClientCAs:    a.TLS.CA,
			// A certificate from another CA fails the handshake; none at
			// all lets only health through (authenticate refuses the rest),
			// so probes need no certificate.
			ClientAuth: tls.VerifyClientCertIfGiven,
		})))
	}
	return opts
}

// dialOptions are the transport credentials and per-call token a client
// presents.
func (a Auth) dialOptions() []grpc.DialOption {
	creds := insecure.NewCredentials()
	if a.TLS != nil {
		creds = credentials.NewTLS(&tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{a.TLS.Cert},
			RootCAs:      a.TLS.CA,
		})
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if a.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(tokenCredentials{token: a.Token, tls: a.TLS != nil}))
	}
	return opts
}

// tokenCredentials attaches the shared token to every call.
type tokenCredentials struct {
	token string
	tls   bool
}

func (c tokenCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{authorizationHeader: "Bearer " + c.token}, nil
}

// RequireTransportSecurity is false without TLS: a token-only deployment
// runs plaintext inside its network.
func (c tokenCredentials) RequireTransportSecurity() bool { return c.tls }

var (
	errNoCredentials = status.Error(codes.Unauthenticated, "missing credentials")
	errBadToken      = status.Error(codes.Unauthenticated, "invalid credentials")
	errNoClientCert  = status.Error(codes.Unauthenticated, "client certificate required")
)

// authenticate checks a call's credentials: the health service passes,
// anything else needs a verified client certificate under mutual TLS and
// the token when there is one.
func (a Auth) authenticate(ctx context.Context, method string) error {
	if strings.HasPrefix(method, healthPrefix) {
		return nil
	}
	if a.TLS != nil && !verifiedPeer(ctx) {
		return errNoClientCert
	}
	if a.Token == "" {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get(authorizationHeader)
	if len(v) == 0 {
		return errNoCredentials
	}
	got, ok := strings.CutPrefix(v[0], "Bearer ")
	if !ok || !sameToken(got, a.Token) {
		return errBadToken
	}
	return nil
}

// sameToken compares digests in constant time, so neither the token's
// contents nor its length show in the time a refusal takes.
func sameToken(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func verifiedPeer(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	return ok && len(info.State.VerifiedChains) > 0
}

func (a Auth) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if err := a.authenticate(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return next(ctx, req)
}

func (a Auth) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	if err := a.authenticate(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return next(srv, ss)
}

// NewToken returns a random token, for a process whose services only
// talk to each other.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate grpc token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
