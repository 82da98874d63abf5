#!/usr/bin/perl
# A Perl Beekeeper 0.02 SharedCache member for tests/itest_cache_perl.c, driven one JSON
# command a line on stdin, each answered by one JSON line on stdout:
#   {"op":"set","key":K,"value":V}   -> true
#   {"op":"del","key":K}             -> true
#   {"op":"get","key":K}             -> [V] (V null when there is none)
#   {"op":"synced"}                  -> 1 or 0
# It prints "ready" once connected, and ends at the end of stdin.
# Usage: perl itest_cache_peer.pl PERL_TREE CONFIG_DIR HOST PORT VHOST USER PASS BUS_ID CACHE_ID
# It writes CONFIG_DIR/bus.config.json: BUS_ID and BUS_ID-b, both on the broker given and of
# the cluster BUS_ID. 0.02's cache reads its cluster there, and serves dumps only on the buses
# of its cluster other than its worker's own (SharedCache.pm's _sync_completed walks _CLUSTER,
# which leaves the worker's bus out), so BUS_ID-b is where it answers ours.
use strict;
use warnings;

my ($tree, $cdir, $host, $port, $vhost, $user, $pass, $bus_id, $cache_id) = @ARGV;
die "usage: $0 PERL_TREE CONFIG_DIR HOST PORT VHOST USER PASS BUS_ID CACHE_ID\n"
    unless defined $cache_id;
unshift @INC, "$tree/lib";
$ENV{'BEEKEEPER_CONFIG_DIR'} = $cdir;

require AnyEvent;
require AnyEvent::Handle;
require JSON::XS;
require Beekeeper::Bus::STOMP;
require Beekeeper::Worker::Util::SharedCache;

$| = 1;
my $json = JSON::XS->new->allow_nonref;

my @buses = map { {
    'bus-id' => $_, cluster => $bus_id, host => $host, port => $port + 0, vhost => $vhost,
    user => $user, pass => $pass,
} } ($bus_id, "$bus_id-b");
open(my $cf, '>', "$cdir/bus.config.json") or die "cannot write $cdir/bus.config.json: $!\n";
print $cf $json->encode(\@buses);
close($cf);

my $bus = Beekeeper::Bus::STOMP->new(
    host => $host, port => $port, vhost => $vhost, user => $user, pass => $pass,
    bus_id => $bus_id, cluster => $bus_id, timeout => 10,
);
$bus->connect(blocking => 1) or die "cannot connect to $host:$port\n";

# SharedCache takes what it needs of a worker from its bus.
my $worker = { _BUS => $bus };
my $cache = Beekeeper::Worker::Util::SharedCache->new(worker => $worker, id => $cache_id);
print "ready\n";

my $done = AnyEvent->condvar;
my $in; $in = AnyEvent::Handle->new(
    fh       => \*STDIN,
    on_error => sub { $done->send },
    on_eof   => sub { $done->send },
);
my $line; $line = sub {
    my ($h, $text) = @_;
    my $cmd = $json->decode($text);
    my $op = $cmd->{'op'};
    my $out;
    if    ($op eq 'set')    { $cache->set($cmd->{'key'} => $cmd->{'value'}); $out = JSON::XS::true() }
    elsif ($op eq 'del')    { $cache->delete($cmd->{'key'}); $out = JSON::XS::true() }
    elsif ($op eq 'get')    { $out = [ $cache->get($cmd->{'key'}) ] }
    elsif ($op eq 'synced') { $out = $cache->{'synced'} ? 1 : 0 }
    else                    { $out = "unknown op" }
    print $json->encode($out), "\n";
    $h->push_read(line => $line);
};
$in->push_read(line => $line);
$done->recv;
$bus->disconnect(blocking => 1) if $bus->{is_connected};
