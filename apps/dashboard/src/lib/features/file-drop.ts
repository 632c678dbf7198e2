/** Files dragged from the desktop onto the Files tab (uploaded into the folder shown). */

/** The drag carries files (not text or a link dragged within the page). */
export function carriesFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') === true;
}

/**
 * The files of a drop. A dropped folder has no bytes to upload (the browser gives an empty "file" for
 * it): it is counted and left out.
 */
export function droppedFiles(data: DataTransfer): { files: File[]; folders: number } {
  const files: File[] = [];
  let folders = 0;
  const items = [...data.items].filter((item) => item.kind === 'file');
  if (items.length === 0) return { files: [...data.files], folders };
  for (const item of items) {
    if (item.webkitGetAsEntry?.()?.isDirectory) folders += 1;
    else {
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  }
  return { files, folders };
}
