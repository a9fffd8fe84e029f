// Package rtsp is Vigil's RTSP client and server: RTSP 1.0 (RFC 2326),
// and RTSP 2.0 (RFC 7826) in the client.
//
// The client pulls one video track (H.264 or H.265) from an IP camera for
// recording. It speaks 1.0, which every camera knows, and 2.0 when asked
// to or when a camera refuses 1.0; the server speaks 1.0 only and answers
// other versions with 505. It copes with the ways real cameras deviate
// from the RFCs: redirects, Basic and Digest authentication (RFC 2617 and
// RFC 7616), relative and absolute control URLs, SDP that does not follow
// RFC 4566 ordering, and RTSP responses interleaved with RTP on a TCP
// connection.
//
// The server publishes Streams: each Stream is one media description that a
// producer feeds with RTP packets and that is fanned out to every playing
// session, over TCP interleaved or UDP unicast. It feeds Vigil's simulated
// cameras and re-streams recorded or live cameras to other platforms.
//
// The package knows nothing about codecs beyond the encoding name it looks
// for in the SDP: the chosen media's encoding name and fmtp string are passed
// up unchanged, and depacketization happens elsewhere.
//
// Everything read from the network is bounded: lines at 8 KiB, headers at
// 64 KiB, bodies at 1 MiB, interleaved frames at 64 KiB. Malformed input
// yields an error, never a panic.
package rtsp
