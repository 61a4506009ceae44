#!/usr/bin/python3
"""A stand-in for ctd's sync engine on the bus, for tests/bus/test-conntrackd-dropin.sh.

Owns org.netfilter.Conntrack1 with the Manager, Table, Expectations, Caches and
Links/<n> objects of docs/dbus-api.md (only what the conntrackd drop-in and ctctl sync /
links use), answers with fixed counters (the values of the conntrackd 1.4.7 captures in
tests/unit/ctl/conntrackd_samples/ftfw-udp-*.txt, so the drop-in's -s text can be compared
byte for byte) and appends every call to the file named by FAKE_CACHES_LOG, one line
each: "Interface.Method ARG..." with options as key=value.

Environment:
  FAKE_CACHES_LOG      call log (required)
  FAKE_CACHES_NO_SYNC  1: no Caches and no Links (ctd without a Sync section)
  FAKE_CACHES_STATS_MODE  1: with FAKE_CACHES_NO_SYNC, ctd in Stats mode: a Stats object
                       whose GetFlowStatistics answers with the counters of
                       tests/unit/ctl/conntrackd_samples/stats-mode-*.txt
  FAKE_CACHES_EXPECT   1: expectation sync on (GetStatistics("expect") is not empty)
  FAKE_CACHES_FAIL     METHOD=ERRORNAME:MESSAGE: that Caches method fails so
No polkit: tests run as root. Needs python3-dbus and python3-gi (GLib main loop).
"""
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

NAME = 'org.netfilter.Conntrack1'
ROOT = '/org/netfilter/Conntrack1'
IFACE = 'org.netfilter.Conntrack1.'
PROPS = 'org.freedesktop.DBus.Properties'
ERR = 'org.netfilter.Conntrack1.Error.'

LOG = os.environ['FAKE_CACHES_LOG']
NO_SYNC = os.environ.get('FAKE_CACHES_NO_SYNC') == '1'
EXPECT = os.environ.get('FAKE_CACHES_EXPECT') == '1'
STATS_MODE = os.environ.get('FAKE_CACHES_STATS_MODE') == '1'
FAIL = {}
if os.environ.get('FAKE_CACHES_FAIL'):
    method, _, rest = os.environ['FAKE_CACHES_FAIL'].partition('=')
    error, _, message = rest.partition(':')
    FAIL[method] = (error, message)

loop = None


class BusError(dbus.DBusException):
    def __init__(self, name, message):
        super().__init__(message)
        self._dbus_error_name = name


def record(what, *args):
    with open(LOG, 'a') as f:
        f.write(' '.join([what] + [str(a) for a in args]) + '\n')


def opts(options):
    if not options:
        return '{}'
    return '{' + ','.join('%s=%s' % (k, bool(v) if isinstance(v, dbus.Boolean) else v)
                          for k, v in sorted(options.items())) + '}'


def check_options(options):
    for key in options:
        if key != 'interactive':
            raise BusError(ERR + 'InvalidArgument', "unknown option '%s'" % key)


def t(n):
    return dbus.UInt64(n)


def sdict(values):
    return dbus.Dictionary(values, signature='sv')


def link_keys(prefix):
    # The active link of the capture: UDP on vsync, 168 bytes / 3 datagrams sent.
    return {prefix + 'bytes_sent': t(168), prefix + 'bytes_received': t(0),
            prefix + 'packets_sent': t(3), prefix + 'packets_received': t(0),
            prefix + 'send_errors': t(0), prefix + 'receive_errors': t(0)}


def ftfw_keys():
    return {'ftfw.' + k: t(0) for k in (
        'acks_sent', 'nacks_sent', 'acks_received', 'nacks_received', 'resent',
        'resend_overflows', 'unrecoverable_nacks', 'resync_requests_sent',
        'resync_requests_received', 'hello_received', 'failovers')}


def general_keys():
    v = {}
    for cache, active in (('internal', 2), ('external', 0)):
        v[cache + '.active'] = t(active)
        v[cache + '.created'] = t(active)
        for k in ('created_failed', 'updated', 'updated_failed', 'destroyed',
                  'destroyed_failed'):
            v[cache + '.' + k] = t(0)
    v.update({'traffic.bytes': t(0), 'traffic.packets': t(0), 'msg.malformed': t(0),
              'msg.lost': t(0), 'link.kind': 'UDP', 'link.device': 'vsync'})
    v.update(link_keys('link.'))
    return v


def statistics(category):
    if category in ('', 'ct'):
        v = general_keys()
    elif category == 'expect':
        v = general_keys() if EXPECT else {}
    elif category == 'network':
        v = {'recv.' + k: t(0) for k in ('malformed', 'bad_version', 'bad_header',
                                          'bad_payload', 'bad_type', 'truncated', 'bad_size')}
        v.update({'send.malformed': t(0), 'seq.lost': t(0), 'seq.before': t(0),
                  'link.kind': 'UDP', 'link.device': 'vsync'})
        v.update(link_keys('link.'))
    elif category == 'cache':
        v = {}
        for cache, n in (('internal', 2), ('external', 0)):
            for k in ('active_objects', 'active_entries', 'total_entries', 'created'):
                v[cache + '.' + k] = t(n)
            for k in ('created_failed', 'no_memory', 'no_space', 'updated', 'updated_failed',
                      'update_not_found', 'deleted', 'deleted_failed', 'delete_not_found'):
                v[cache + '.' + k] = t(0)
    elif category == 'runtime':
        v = {k: t(0) for k in (
            'uptime', 'events_filtered', 'events_unknown', 'catch_failed', 'dump_unknown',
            'netlink_overrun', 'flush_kernel', 'kernel_resyncs', 'child_failed',
            'child_segfault', 'child_termsig', 'select_failed', 'wait_failed',
            'local_read_failed', 'local_unknown_request')}
        v.update({'events_received': t(2), 'buffer_size': t(2097152)})
    elif category == 'link':
        v = {'links': t(1), 'link.0.kind': 'UDP', 'link.0.device': 'vsync',
             'link.0.status': 'RUNNING', 'link.0.role': 'ACTIVE'}
        v.update(link_keys('link.0.'))
    elif category == 'rsqueue':
        v = {'length': t(2), 'items': dbus.Array(['object -> seq:1796171715',
                                                  'object -> seq:1796171716'], signature='s')}
    elif category == 'queue':
        v = {'nodes': t(0)}
        for q, mx, cur in (('txqueue', 2147483647, 0), ('errorq', 128, 0),
                           ('rsqueue', 131072, 2)):
            v.update({q + '.current': t(cur), q + '.max': t(mx), q + '.no_space': t(0)})
    else:
        raise BusError(ERR + 'InvalidArgument', "category: unknown word '%s'" % category)
    if category != 'expect' or EXPECT:
        v.update(ftfw_keys())
    return sdict(v)


INTERNAL_LINES = [
    'tcp      6 ESTABLISHED src=198.18.0.1 dst=198.18.0.2 sport=1000 dport=80 [UNREPLIED] '
    'src=198.18.0.2 dst=198.18.0.1 sport=80 dport=1000 [ASSURED] mark=0 [active since 1s]',
    'udp      17 src=198.18.0.1 dst=198.18.0.2 sport=1000 dport=53 [UNREPLIED] '
    'src=198.18.0.2 dst=198.18.0.1 sport=53 dport=1000 mark=0 [active since 1s]',
]
INTERNAL_XML = [
    '<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>198.18.0.1'
    '</src><dst>198.18.0.2</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>1000'
    '</sport><dport>80</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" '
    'protoname="ipv4"><src>198.18.0.2</src><dst>198.18.0.1</dst></layer3><layer4 '
    'protonum="6" protoname="tcp"><sport>80</sport><dport>1000</dport></layer4></meta><meta '
    'direction="independent"><state>ESTABLISHED</state><mark>0</mark><id>3277698043</id>'
    '<assured/><unreplied/></meta></flow>',
]


class Props(dbus.service.Object):
    """An object whose properties are served by org.freedesktop.DBus.Properties."""
    interface = ''

    def properties(self):
        return {}

    @dbus.service.method(PROPS, in_signature='ss', out_signature='v')
    def Get(self, interface, name):
        props = self.properties()
        if interface != self.interface or name not in props:
            raise BusError('org.freedesktop.DBus.Error.UnknownProperty', 'no property ' + name)
        return props[name]

    @dbus.service.method(PROPS, in_signature='s', out_signature='a{sv}')
    def GetAll(self, interface):
        if interface != self.interface:
            return sdict({})
        return sdict(self.properties())


class Manager(Props):
    interface = IFACE + 'Manager'

    def properties(self):
        return {'Version': '0.1.0-fake',
                'Features': dbus.Array([] if NO_SYNC else ['sync'], signature='s')}

    @dbus.service.method(IFACE + 'Manager', in_signature='a{sv}', out_signature='')
    def Stop(self, options):
        check_options(options)
        record('Manager.Stop', opts(options))
        GLib.timeout_add(50, loop.quit)


class Table(Props):
    interface = IFACE + 'Table'

    def properties(self):
        return {'Count': t(2), 'Max': t(262144)}

    @dbus.service.method(IFACE + 'Table', in_signature='a{sv}', out_signature='t')
    def Flush(self, query):
        record('Table.Flush', opts(query))
        return t(2)


class Expectations(Props):
    interface = IFACE + 'Expectations'

    @dbus.service.method(IFACE + 'Expectations', in_signature='a{sv}', out_signature='t')
    def Flush(self, query):
        record('Expectations.Flush', opts(query))
        return t(0)


def failing(method):
    if method in FAIL:
        error, message = FAIL[method]
        raise BusError(error, message)


WHICH = {'', 'internal', 'external', 'internal:ct', 'external:ct', 'internal:expect',
         'external:expect'}


class Caches(Props):
    interface = IFACE + 'Caches'
    role = ''

    def properties(self):
        return {'Mode': 'FTFW', 'Role': self.role, 'InternalCount': t(2),
                'ExternalCount': t(0)}

    def _which(self, which, allowed):
        if which not in allowed:
            raise BusError(ERR + 'InvalidArgument', "which: unknown cache '%s'" % which)

    @dbus.service.method(IFACE + 'Caches', in_signature='sa{sv}', out_signature='a{st}')
    def Commit(self, which, options):
        self._which(which, {'', 'external', 'external:ct', 'external:expect'})
        check_options(options)
        record('Caches.Commit', repr(str(which)), opts(options))
        failing('Commit')
        return dbus.Dictionary({'created': t(2), 'existed': t(1), 'failed': t(0)},
                               signature='st')

    @dbus.service.method(IFACE + 'Caches', in_signature='sa{sv}', out_signature='')
    def Flush(self, which, options):
        self._which(which, WHICH)
        check_options(options)
        record('Caches.Flush', repr(str(which)), opts(options))
        failing('Flush')

    @dbus.service.method(IFACE + 'Caches', in_signature='a{sv}', out_signature='')
    def ResyncFromKernel(self, options):
        check_options(options)
        record('Caches.ResyncFromKernel', opts(options))
        failing('ResyncFromKernel')

    @dbus.service.method(IFACE + 'Caches', in_signature='a{sv}', out_signature='')
    def RequestResync(self, options):
        check_options(options)
        record('Caches.RequestResync', opts(options))
        failing('RequestResync')

    @dbus.service.method(IFACE + 'Caches', in_signature='a{sv}', out_signature='')
    def SendBulk(self, options):
        check_options(options)
        record('Caches.SendBulk', opts(options))
        failing('SendBulk')

    @dbus.service.method(IFACE + 'Caches', in_signature='a{sv}', out_signature='t')
    def ResetKernelTimers(self, options):
        check_options(options)
        record('Caches.ResetKernelTimers', opts(options))
        failing('ResetKernelTimers')
        return t(5)

    @dbus.service.method(IFACE + 'Caches', in_signature='sa{sv}', out_signature='a{st}')
    def SetRole(self, role, options):
        if role not in ('primary', 'backup'):
            raise BusError(ERR + 'InvalidArgument', "role: must be primary or backup")
        check_options(options)
        record('Caches.SetRole', role, opts(options))
        failing('SetRole')
        self.role = str(role)
        if role == 'backup':
            return dbus.Dictionary({}, signature='st')
        return dbus.Dictionary({'created': t(2), 'existed': t(0), 'failed': t(0)},
                               signature='st')

    @dbus.service.method(IFACE + 'Caches', in_signature='ssha{sv}', out_signature='t')
    def Dump(self, which, fmt, out, options):
        self._which(which, WHICH - {''})
        check_options(options)
        record('Caches.Dump', repr(str(which)), repr(str(fmt)), opts(options))
        fd = out.take()
        try:
            failing('Dump')
            lines = []
            if which.startswith('internal') and not which.endswith(':expect'):
                lines = INTERNAL_XML if fmt == 'conntrackd-xml' else INTERNAL_LINES
            os.write(fd, ''.join(line + '\n' for line in lines).encode())
        finally:
            os.close(fd)
        return t(len(lines))

    @dbus.service.method(IFACE + 'Caches', in_signature='s', out_signature='a{sv}')
    def GetStatistics(self, category):
        record('Caches.GetStatistics', repr(str(category)))
        failing('GetStatistics')
        return statistics(category)


def flow_statistics(category):
    """Stats.GetFlowStatistics: the counters behind conntrackd_samples/stats-mode-*.txt."""
    return sdict({k: t(v) for k, v in flow_counters(category).items()})


def flow_counters(category):
    if category in ('', 'ct'):
        return {'stats.active': 2, 'stats.created': 3, 'stats.created_failed': 0,
                'stats.updated': 0, 'stats.updated_failed': 0, 'stats.destroyed': 1,
                'stats.destroyed_failed': 0, 'traffic.bytes': 384, 'traffic.packets': 3}
    if category == 'cache':
        keys = {k: 0 for k in ('created_failed', 'no_memory', 'no_space', 'updated',
                               'updated_failed', 'update_not_found', 'deleted_failed',
                               'delete_not_found')}
        keys.update(active_objects=2, active_entries=2, total_entries=2, created=3, deleted=1)
        return {'stats.' + k: v for k, v in keys.items()}
    if category == 'runtime':
        return {'uptime': 10, 'events_received': 2, 'buffer_size': 2097152}
    if category in ('network', 'link', 'rsqueue', 'queue', 'expect'):
        return {}
    raise BusError(ERR + 'InvalidArgument', 'category: %r' % category)


class Stats(Props):
    interface = IFACE + 'Stats'

    @dbus.service.method(IFACE + 'Stats', in_signature='s', out_signature='a{sv}')
    def GetFlowStatistics(self, category):
        record('Stats.GetFlowStatistics', repr(str(category)))
        return flow_statistics(category)


class Link(Props):
    interface = IFACE + 'Link'

    def __init__(self, bus, path, index):
        super().__init__(bus, path)
        self.index = index

    def properties(self):
        peer = '192.0.2.%d' % (2 + self.index)
        return {'Name': 'udp %s port 3780 dev vsync%d' % (peer, self.index), 'Kind': 'udp',
                'Interface': 'vsync%d' % self.index, 'LocalAddress': '192.0.2.1',
                'PeerAddress': peer, 'Port': dbus.UInt16(3780), 'Up': dbus.Boolean(True),
                'Active': dbus.Boolean(self.index == 0),
                'Counters': dbus.Dictionary({'bytes_sent': t(168 if self.index == 0 else 0),
                                             'bytes_received': t(0),
                                             'datagrams_sent': t(3 if self.index == 0 else 0),
                                             'datagrams_received': t(0), 'send_errors': t(0),
                                             'receive_errors': t(0)}, signature='st')}


def main():
    global loop
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    objects = [Manager(bus, ROOT), Table(bus, ROOT + '/Table'),
               Expectations(bus, ROOT + '/Expectations')]
    if not NO_SYNC:
        objects += [Caches(bus, ROOT + '/Caches'), Link(bus, ROOT + '/Links/0', 0),
                    Link(bus, ROOT + '/Links/1', 1)]
    elif STATS_MODE:
        objects.append(Stats(bus, ROOT + '/Stats'))
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    loop = GLib.MainLoop()
    print('fake_caches: ready', flush=True)
    loop.run()
    del name, objects
    return 0


if __name__ == '__main__':
    sys.exit(main())
