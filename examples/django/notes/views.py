import hashlib
import time

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .forms import NoteForm, UploadForm
from .models import Note, Upload


def home(request):
    return render(request, 'notes/home.html', {'note_count': Note.objects.count()})


@login_required
def note_list(request):
    # A counter kept in the session (database-backed): it survives from one request, and one worker, to the next.
    request.session['visits'] = request.session.get('visits', 0) + 1
    return render(request, 'notes/note_list.html', {'notes': Note.objects.all(), 'visits': request.session['visits']})


@login_required
def note_new(request):
    form = NoteForm(request.POST or None)
    if request.method == 'POST' and form.is_valid():
        note = form.save()
        return redirect('note_detail', note_id=note.id)
    return render(request, 'notes/note_form.html', {'form': form})


def note_detail(request, note_id):
    return render(request, 'notes/note_detail.html', {'note': get_object_or_404(Note, id=note_id)})


@login_required
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == 'POST' and form.is_valid():
        sent = form.cleaned_data['file']
        digest = hashlib.sha256()
        for chunk in sent.chunks():
            digest.update(chunk)
        stored = Upload.objects.create(file=sent, size=sent.size, sha256=digest.hexdigest())
        return redirect('upload_detail', upload_id=stored.id)
    return render(request, 'notes/upload_form.html', {'form': form})


@login_required
def upload_detail(request, upload_id):
    return render(request, 'notes/upload_detail.html', {'upload': get_object_or_404(Upload, id=upload_id)})


@login_required
def upload_download(request, upload_id):
    stored = get_object_or_404(Upload, id=upload_id)
    return FileResponse(stored.file.open('rb'), as_attachment=True, filename=stored.file.name.rsplit('/', 1)[-1])


def stream(request):
    """A report written line by line, as a long export would be: each line leaves the server when it is ready."""
    lines = min(int(request.GET.get('lines', '5')), 50)

    def report():
        for number in range(1, lines + 1):
            yield f'line {number} of {lines}\n'
            time.sleep(0.2)

    return StreamingHttpResponse(report(), content_type='text/plain; charset=utf-8')
