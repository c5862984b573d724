# An XML-RPC server written with Perl's XMLRPC::Lite (SOAP::Lite): its faults carry a
# string faultCode ("Client", "Server"). Prints its port, then serves until killed.
use strict;
use warnings;
use XMLRPC::Transport::HTTP;

$| = 1;
my $daemon = XMLRPC::Transport::HTTP::Daemon->new(
    LocalAddr => '127.0.0.1',
    LocalPort => 0,
    Reuse     => 1,
)->dispatch_to('Demo');
my ($port) = $daemon->url =~ m{:(\d+)/};
print "$port\n";
$daemon->handle;

package Demo;
sub hi   { return "hello $_[1]" }
sub boom { die "boom on purpose\n" }
