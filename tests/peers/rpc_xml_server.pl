# An XML-RPC server written with Perl's RPC::XML: answers deflate-compressed when the
# client accepts it and the answer is over 4 KiB, sends dateTimes with a zone. Prints its
# port, then serves until killed.
use strict;
use warnings;
use RPC::XML qw(time2iso8601);
use RPC::XML::Server;

$| = 1;
my $srv = RPC::XML::Server->new(host => '127.0.0.1', port => 0, no_default => 1);
ref $srv or die "cannot start: $srv\n";
my $fn = sub {
    my ($name, $code) = @_;
    $srv->add_method(RPC::XML::Function->new({ name => $name, code => $code }));
};
$fn->(echo    => sub { return $_[0] });
$fn->(when    => sub { RPC::XML::datetime_iso8601->new(time2iso8601(784111777)) });
$fn->(offset  => sub { RPC::XML::datetime_iso8601->new('2025-01-02T03:04:05.250+02:00') });
$fn->(big     => sub { RPC::XML::string->new('y' x 100_000) });
$fn->(fail    => sub { RPC::XML::fault->new(7, 'failure on purpose') });
$fn->(truth   => sub { RPC::XML::boolean->new('true') });
print $srv->port, "\n";
$srv->server_loop;
