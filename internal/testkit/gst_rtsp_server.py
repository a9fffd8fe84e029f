#!/usr/bin/python3
"""A third-party RTSP camera for Vigil's tests: GStreamer's RTSP server
streaming a clip.

usage: gst_rtsp_server.py PORT CLIP CODEC [USER PASS]

PORT 0 picks a free port. CODEC is h264 or h265. With USER and PASS every
request needs Digest authentication. Prints "READY <port>" once serving.
The media is mounted at /cam.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    if len(sys.argv) not in (4, 6):
        sys.exit(__doc__)
    port, clip, codec = sys.argv[1:4]
    if codec not in ("h264", "h265"):
        sys.exit("codec must be h264 or h265")
    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( filesrc location=%s ! qtdemux ! %sparse ! rtp%spay name=pay0 pt=96 config-interval=-1 )"
        % (clip, codec, codec)
    )
    factory.set_shared(False)

    if len(sys.argv) == 6:
        user, password = sys.argv[4:6]
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, user)
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(auth)
        role = Gst.Structure.new_from_string(
            "%s, media.factory.access=(boolean)true, media.factory.construct=(boolean)true" % user
        )
        factory.add_role_from_structure(role)

    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit("cannot attach the RTSP server")
    print("READY %d" % server.get_bound_port(), flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
