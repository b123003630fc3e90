"""docker-py, the Docker SDK for Python, against berthd.

Run by test/integration/client-docker-py.test.ts with DOCKER_HOST pointing at a
berthd of its own. Everything this module creates carries the label RUN_LABEL,
and the `client` fixture removes it all at the end, failures included.

Tests of endpoints berthd may not serve yet skip when it answers 501, so they
start running once the endpoint lands.
"""

import io
import os
import socket
import tarfile
import time
import uuid

import docker
import pytest
from docker.errors import APIError, ContainerError, ImageNotFound, NotFound
from docker.utils.socket import frames_iter, next_frame_header, read_exactly

RUN_LABEL = 'berth.test.docker-py'
RUN_ID = uuid.uuid4().hex[:12]
LABELS = {RUN_LABEL: RUN_ID}
TEST_REPOSITORY = f'berth-test/docker-py-{RUN_ID}'
STDOUT, STDERR = 1, 2


@pytest.fixture(scope='module')
def client():
    client = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], timeout=60)
    yield client
    for container in client.containers.list(all=True, filters={'label': f'{RUN_LABEL}={RUN_ID}'}):
        container.remove(force=True)
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(TEST_REPOSITORY):
                client.images.remove(tag, force=True)
    client.close()


def start(client, command, **options):
    """A detached busybox container of this run."""
    return client.containers.run('busybox', command, detach=True, labels=LABELS, **options)


def skip_if_unimplemented(call, what):
    """Runs `call`; skips the test when berthd answers 501 (not implemented yet)."""
    try:
        return call()
    except APIError as error:
        if error.status_code == 501:
            pytest.skip(f'berthd does not implement {what} yet (501: {error.explanation})')
        raise


def wait_for(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


def single_file_tar(name, content, mode=0o644):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        entry = tarfile.TarInfo(name)
        entry.size = len(content)
        entry.mode = mode
        archive.addfile(entry, io.BytesIO(content))
    return buffer.getvalue()


def test_ping_version_info(client):
    assert client.ping() is True
    version = client.version()
    assert version['ApiVersion'] == '1.44'
    assert version['Os'] == 'linux'
    info = client.info()
    assert info['OperatingSystem']
    assert info['Images'] >= 1
    assert isinstance(info['Containers'], int)


def test_run_attached_returns_output(client):
    probe = start(client, 'true')
    log_driver = probe.attrs['HostConfig']['LogConfig']['Type']
    probe.remove(force=True)
    if log_driver not in ('json-file', 'journald'):
        # docker-py's containers.run only reads the output back when the log
        # driver is json-file or journald; otherwise it returns None.
        pytest.skip(f'berthd reports log driver {log_driver!r}, for which docker-py returns no output (docker reports json-file)')
    output = client.containers.run('busybox', ['sh', '-c', 'echo out; echo err >&2'], labels=LABELS, remove=True)
    assert output == b'out\n'


def test_run_with_remove_leaves_nothing(client):
    name = f'dpy-rm-{RUN_ID}'
    client.containers.run('busybox', 'true', name=name, labels=LABELS, remove=True)
    with pytest.raises(NotFound):
        client.containers.get(name)


def test_run_failing_raises_container_error_with_stderr(client):
    with pytest.raises(ContainerError) as raised:
        client.containers.run('busybox', ['sh', '-c', 'echo broken >&2; exit 3'], labels=LABELS, remove=True)
    assert raised.value.exit_status == 3
    assert raised.value.stderr == b'broken\n'


def test_run_detached_logs_follow(client):
    container = start(client, ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done; echo oops >&2'])
    streamed = b''.join(container.logs(stream=True, follow=True))
    assert streamed == b'line 1\nline 2\nline 3\noops\n'
    assert container.logs(stdout=True, stderr=False) == b'line 1\nline 2\nline 3\n'
    assert container.logs(stdout=False, stderr=True) == b'oops\n'
    assert container.logs(tail=1) == b'oops\n'


def test_exec_run(client):
    container = start(client, ['sleep', '300'])
    plain = container.exec_run(['sh', '-c', 'echo $((6*7))'])
    assert plain.exit_code == 0
    assert plain.output == b'42\n'
    failing = container.exec_run(['sh', '-c', 'exit 9'])
    assert failing.exit_code == 9
    environment = container.exec_run(['sh', '-c', 'echo $GREETING from $(pwd)'], environment={'GREETING': 'hi'}, workdir='/tmp')
    assert environment.output == b'hi from /tmp\n'

    streamed = container.exec_run(['sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.1; done'], stream=True)
    assert streamed.exit_code is None
    assert b''.join(streamed.output) == b'1\n2\n3\n'

    demuxed = container.exec_run(['sh', '-c', 'echo to-out; echo to-err >&2; exit 4'], demux=True)
    assert demuxed.exit_code == 4
    assert demuxed.output == (b'to-out\n', b'to-err\n')


def test_attach_socket_round_trip(client):
    container = start(client, ['cat'], stdin_open=True)
    sock = container.attach_socket(params={'stdin': 1, 'stream': 1, 'stdout': 1})
    try:
        sock._sock.sendall(b'hello through attach\n')
        stream, size = next_frame_header(sock)
        assert stream == STDOUT
        assert read_exactly(sock, size) == b'hello through attach\n'
        # Closing our side of stdin ends the attach; without stdin_once, as with dockerd,
        # the container's stdin stays open and `cat` keeps running for the next client.
        sock._sock.shutdown(socket.SHUT_WR)
        assert list(frames_iter(sock, tty=False)) == []
    finally:
        sock.close()
    container.reload()
    assert container.status == 'running'


def test_wait_reports_exit_code(client):
    container = start(client, ['sh', '-c', 'sleep 0.3; exit 7'])
    assert container.wait(timeout=10)['StatusCode'] == 7
    container.reload()
    assert container.status == 'exited'
    assert container.attrs['State']['ExitCode'] == 7


def test_top(client):
    container = start(client, ['sleep', '300'])
    top = container.top()
    assert 'PID' in top['Titles']
    command_column = top['Titles'].index('CMD') if 'CMD' in top['Titles'] else len(top['Titles']) - 1
    assert any('sleep 300' in process[command_column] for process in top['Processes'])


def test_lifecycle_kill_stop_restart_pause_rename_remove(client):
    container = start(client, ['sleep', '300'])
    container.reload()
    assert container.status == 'running'

    container.pause()
    container.reload()
    assert container.status == 'paused'
    container.unpause()
    container.reload()
    assert container.status == 'running'

    first_pid = container.attrs['State']['Pid']
    container.restart(timeout=1)
    container.reload()
    assert container.status == 'running'
    assert container.attrs['State']['Pid'] != first_pid

    container.stop(timeout=1)
    container.reload()
    assert container.status == 'exited'

    container.start()
    container.kill(signal='SIGKILL')
    assert container.wait(timeout=10)['StatusCode'] == 137

    new_name = f'dpy-renamed-{RUN_ID}'
    container.rename(new_name)
    assert client.containers.get(new_name).id == container.id

    container.start()
    container.remove(force=True)
    with pytest.raises(NotFound):
        client.containers.get(container.id)


def test_list_with_filters(client):
    marker = uuid.uuid4().hex[:8]
    labels = {**LABELS, 'berth.test.list': marker}
    running = client.containers.run('busybox', ['sleep', '300'], detach=True, labels=labels)
    exited = client.containers.run('busybox', 'true', detach=True, labels=labels)
    exited.wait(timeout=10)

    def ids(**options):
        return {container.id for container in client.containers.list(**options)}

    assert ids(all=True, filters={'label': f'berth.test.list={marker}'}) == {running.id, exited.id}
    assert ids(filters={'label': f'berth.test.list={marker}'}) == {running.id}
    assert ids(all=True, filters={'label': f'berth.test.list={marker}', 'status': 'exited'}) == {exited.id}
    assert ids(all=True, filters={'label': f'berth.test.list={marker}', 'status': 'running'}) == {running.id}
    assert ids(all=True, filters={'label': 'berth.test.list=nothing-has-this'}) == set()


def test_images_list_get_tag_remove(client):
    busybox = client.images.get('busybox')
    assert 'busybox:latest' in busybox.tags
    assert busybox.id.startswith('sha256:')
    assert busybox.id in {image.id for image in client.images.list()}
    assert [image.id for image in client.images.list(name='busybox')] == [busybox.id]

    assert busybox.tag(TEST_REPOSITORY, 'v1') is True
    tagged = client.images.get(f'{TEST_REPOSITORY}:v1')
    assert tagged.id == busybox.id
    client.images.remove(f'{TEST_REPOSITORY}:v1')
    with pytest.raises(ImageNotFound):
        client.images.get(f'{TEST_REPOSITORY}:v1')
    assert 'busybox:latest' in client.images.get(busybox.id).tags


def test_import_image(client):
    archive = single_file_tar('hello.txt', b'imported content\n')
    client.api.import_image_from_data(archive, repository=TEST_REPOSITORY, tag='imported')
    image = client.images.get(f'{TEST_REPOSITORY}:imported')
    assert len(image.attrs['RootFS']['Layers']) == 1
    client.images.remove(image.id)
    with pytest.raises(ImageNotFound):
        client.images.get(f'{TEST_REPOSITORY}:imported')


def test_save_and_load(client):
    busybox = client.images.get('busybox')
    busybox.tag(TEST_REPOSITORY, 'saved')
    archive = b''.join(client.images.get(f'{TEST_REPOSITORY}:saved').save(named=True))
    client.images.remove(f'{TEST_REPOSITORY}:saved')
    loaded = client.images.load(archive)
    assert [image.id for image in loaded] == [busybox.id]
    assert f'{TEST_REPOSITORY}:saved' in client.images.get(busybox.id).tags
    client.images.remove(f'{TEST_REPOSITORY}:saved')


@pytest.mark.skipif('BERTH_TEST_REGISTRY' not in os.environ, reason='no test registry given (BERTH_TEST_REGISTRY)')
def test_push_and_pull_through_a_registry(client):
    registry = os.environ['BERTH_TEST_REGISTRY']
    repository = f'{registry}/docker-py/pushed-{RUN_ID}'
    busybox = client.images.get('busybox')
    busybox.tag(repository, 'v1')
    statuses = [line for line in client.images.push(repository, tag='v1', stream=True, decode=True)]
    assert not [line for line in statuses if 'error' in line], statuses
    digest = next(line['aux']['Digest'] for line in statuses if 'aux' in line)
    client.images.remove(f'{repository}:v1')
    pulled = client.images.pull(repository, tag='v1')
    assert pulled.id == busybox.id
    assert f'{repository}@{digest}' in pulled.attrs['RepoDigests']
    client.images.remove(f'{repository}:v1')
    with pytest.raises(NotFound):
        client.images.pull(f'{registry}/docker-py/never-pushed-{RUN_ID}', tag='v1')


def test_events_since_until(client):
    since = int(time.time()) - 1
    container = start(client, 'true')
    container.wait(timeout=10)
    until = int(time.time()) + 1
    events = list(client.events(decode=True, since=since, until=until, filters={'container': container.id}))
    actions = [event['Action'] for event in events if event.get('Type') == 'container']
    for action in ('create', 'start', 'die'):
        assert action in actions, f'{action} missing from {actions}'
    assert actions.index('create') < actions.index('start') < actions.index('die')
    die = next(event for event in events if event['Action'] == 'die')
    assert die['Actor']['ID'] == container.id
    assert die['Actor']['Attributes'][RUN_LABEL] == RUN_ID
    assert die['Actor']['Attributes']['exitCode'] == '0'


def test_stats_one_shot(client):
    container = start(client, ['sleep', '300'])
    stats = skip_if_unimplemented(lambda: container.stats(stream=False), 'GET /containers/{id}/stats')
    assert stats['memory_stats']['usage'] > 0
    assert isinstance(stats['cpu_stats']['cpu_usage']['total_usage'], int)


def test_update_resources(client):
    container = start(client, ['sleep', '300'])
    skip_if_unimplemented(lambda: container.update(cpu_shares=512, mem_limit='64m'), 'POST /containers/{id}/update')
    container.reload()
    assert container.attrs['HostConfig']['CpuShares'] == 512
    assert container.attrs['HostConfig']['Memory'] == 64 * 1024 * 1024


def test_put_and_get_archive(client):
    container = start(client, ['sleep', '300'])
    archive = single_file_tar('note.txt', b'copied in\n')
    assert skip_if_unimplemented(lambda: container.put_archive('/tmp', archive), 'PUT /containers/{id}/archive') is True
    assert container.exec_run(['cat', '/tmp/note.txt']).output == b'copied in\n'

    stream, stat = container.get_archive('/tmp/note.txt')
    assert stat['name'] == 'note.txt'
    assert stat['size'] == len(b'copied in\n')
    with tarfile.open(fileobj=io.BytesIO(b''.join(stream))) as copied:
        assert copied.extractfile('note.txt').read() == b'copied in\n'


def test_diff(client):
    container = start(client, ['sh', '-c', 'touch /created-by-test; sleep 300'])
    wait_for(lambda: container.exec_run(['test', '-e', '/created-by-test']).exit_code == 0, 'the file to be created')
    changes = skip_if_unimplemented(container.diff, 'GET /containers/{id}/changes')
    assert {'Path': '/created-by-test', 'Kind': 1} in changes


def test_df(client):
    usage = skip_if_unimplemented(client.df, 'GET /system/df')
    assert any('busybox:latest' in (image.get('RepoTags') or []) for image in usage['Images'])
    assert isinstance(usage['LayersSize'], int)
    assert isinstance(usage['Containers'], list)


def test_containers_prune(client):
    marker = uuid.uuid4().hex[:8]
    labels = {**LABELS, 'berth.test.prune': marker}
    exited = client.containers.run('busybox', 'true', detach=True, labels=labels)
    exited.wait(timeout=10)
    running = client.containers.run('busybox', ['sleep', '300'], detach=True, labels=labels)
    pruned = skip_if_unimplemented(
        lambda: client.containers.prune(filters={'label': f'berth.test.prune={marker}'}), 'POST /containers/prune')
    assert pruned['ContainersDeleted'] == [exited.id]
    with pytest.raises(NotFound):
        client.containers.get(exited.id)
    assert client.containers.get(running.id).status == 'running'


def test_images_prune_removes_dangling(client):
    archive = single_file_tar('dangling.txt', b'no tag for me\n')
    client.api.import_image_from_data(archive, repository=TEST_REPOSITORY, tag='to-dangle')
    dangling = client.images.get(f'{TEST_REPOSITORY}:to-dangle')
    client.api.import_image_from_data(single_file_tar('other.txt', b'x\n'), repository=TEST_REPOSITORY, tag='to-dangle')
    assert client.images.get(f'{TEST_REPOSITORY}:to-dangle').id != dangling.id
    pruned = skip_if_unimplemented(lambda: client.images.prune(filters={'dangling': True}), 'POST /images/prune')
    assert {'Deleted': dangling.id} in (pruned['ImagesDeleted'] or [])
    with pytest.raises(ImageNotFound):
        client.images.get(dangling.id)
    assert 'busybox:latest' in client.images.get('busybox').tags
