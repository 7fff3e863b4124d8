"""A real XMPP client (slixmpp, Debian's python3-slixmpp) for the TCP + STARTTLS test.

usage: slixmpp-client.py HOST PORT JID PASSWORD CA_FILE [NAMESPACE]
With NAMESPACE, signs in with the SASL authorization identity ns:NAMESPACE (xmpp-emu's namespaces). Verifies the server certificate against CA_FILE, then: presence away, roster, "hello" to the app. Prints one JSON
line per thing that happens; disconnects when a message with body "bye" arrives.
"""
import json
import logging
import sys

import slixmpp

APP = 'dev-app@appspot.com'


def say(**fields):
    print(json.dumps(fields), flush=True)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('presence_subscribe', lambda p: say(event='subscribe', frm=str(p['from'])))
        self.add_event_handler('failed_auth', lambda _: (say(event='failed_auth'), self.disconnect()))
        self.add_event_handler('tls_success', lambda _: say(event='tls'))

    async def on_start(self, _event):
        self.send_presence(pshow='away', pstatus='on tcp')
        await self.get_roster()
        say(event='online', jid=str(self.boundjid), roster=sorted(str(j) for j in self.client_roster.keys()))
        self.send_message(mto=APP, mbody='hello', mtype='chat')

    def on_message(self, msg):
        say(event='message', frm=str(msg['from']), body=msg['body'], type=msg['type'])
        if msg['body'] == 'bye':
            self.disconnect()


def main():
    host, port, jid, password, ca_file = sys.argv[1:6]
    logging.basicConfig(level=logging.ERROR)
    client = Client(jid, password)
    if len(sys.argv) > 6:
        client.credentials['authzid'] = 'ns:' + sys.argv[6]
    client.ca_certs = ca_file
    client.connect((host, int(port)))
    client.loop.run_until_complete(client.disconnected)
    say(event='disconnected')


main()
