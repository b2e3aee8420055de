// The controls: the mode and size selects (built from the model's catalog once it has loaded;
// one setting shown in two places, the Model group and the camera section, so that it is in
// reach of the live video: a change in either is checked, kept here and shown in both), the
// display settings (view, opacity, colour, blur, the replacement background: the colour or
// one of the photos) and the downloads. A display setting the view in force does not use is
// disabled.
// Owns: those inputs and buttons (the camera's mode and size selects too). Must not touch: the
// queue or the photos. A settings change is reported through onSettingsChange once it is checked
// against the catalog: a mode or size the model does not offer (an option injected into the
// page, say) is refused here, reported through onInvalid, and the selects go back to the
// settings in force.
// Display settings go to the overlay it was given.

import { downloadBlob } from './overlay.js';

/**
 * Fills a <select> with one option per mode, `selected` chosen; `modeWords` ([name, words]
 * pairs from the catalog) describe them, and a mode without words is listed by its name alone.
 */
function buildModeOptions(select, modes, modeWords, selected) {
  const described = Object.fromEntries(modeWords ?? []);
  select.replaceChildren(...modes.map((mode) => {
    const words = described[mode];
    return new Option(words ? `${mode} · ${words}` : mode, mode, mode === selected, mode === selected);
  }));
}

/** Fills a <select> with one option per processing size (px), `selected` chosen. */
function buildSizeOptions(select, sizes, selected) {
  select.replaceChildren(...sizes.map((size) =>
    new Option(`${size} px`, String(size), size === selected, size === selected)));
}

/** The file name a download gets: the photo's name without its extension. */
function stem(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The file name of a download of `kind` of `photo`'s mask: "photo.linear-512.mask.png". */
export function downloadName(photo, kind) {
  const made = photo.result ? `.${photo.result.mode}-${photo.result.size}` : '';
  return `${stem(photo.name)}${made}.${kind}.png`;
}

/** The views each display setting changes; in the others it is disabled. */
const USED_IN = {
  opacity: ['overlay'],
  colour: ['overlay', 'replace'],
  blur: ['blur'],
};

/** The model settings, the display settings and the download buttons. */
export class Controls {
  /**
   * @param {object} options
   * @param {object} options.elements  settings ([{ mode, size }]: the pairs of selects that
   *                                   show the one setting, the Model group's first), viewRadios,
   *                                   opacity, opacityValue, colour, blur, blurValue, background
   *                                   (select), downloadMask, downloadCutout, downloadView
   * @param {{ mode: string, size: number }} options.defaults  what the selects start on once
   *        setChoices has filled them (and what settings() says until then)
   * @param {import('./overlay.js').Overlay} options.overlay  takes the display settings
   * @param {() => import('./photo.js').Photo | null} options.selectedPhoto  the photo in view
   * @param {(settings: { mode: string, size: number }) => void} options.onSettingsChange
   * @param {(view: string) => void} options.onViewChange   overlay | mask | cutout | blur | replace
   * @param {(photo: import('./photo.js').Photo, text: string) => void} options.onError
   * @param {(text: string) => void} options.onInvalid  a chosen mode or size was refused
   */
  constructor({ elements, defaults, overlay, selectedPhoto, onSettingsChange, onViewChange, onError, onInvalid }) {
    this.ui = elements;
    this.defaults = defaults;
    this.overlay = overlay;
    this.selectedPhoto = selectedPhoto;
    this.onError = onError;
    /** What the model offers (setChoices), and the settings in force, always among them. */
    this.choices = null;
    this.current = { ...defaults };
    const ui = elements;

    this.#enableSettings(false);
    /** A pair of selects was changed: what it shows becomes the setting, shown by every pair. */
    const settingsChanged = ({ mode, size }) => {
      const chosen = { mode: mode.value, size: Number(size.value) };
      const problem = this.#problem(chosen, size.value);
      if (!problem) this.current = chosen;
      this.#showSettings();
      if (problem) onInvalid(problem);
      else onSettingsChange(this.settings());
    };
    for (const pair of ui.settings) {
      pair.mode.addEventListener('change', () => settingsChanged(pair));
      pair.size.addEventListener('change', () => settingsChanged(pair));
    }

    overlay.setOpacity(Number(ui.opacity.value) / 100);
    overlay.setColour(ui.colour.value);
    for (const radio of ui.viewRadios) {
      radio.addEventListener('change', () => {
        if (!radio.checked) return;
        overlay.setView(radio.value);
        this.#enableDisplaySettings();
        onViewChange(radio.value);
      });
    }
    this.#enableDisplaySettings();
    /** The photos offered as the replacement background, by id (setBackgrounds). */
    this.backgrounds = new Map();
    ui.background.addEventListener('change', () => this.#applyBackground());
    ui.opacity.addEventListener('input', () => {
      ui.opacityValue.textContent = `${ui.opacity.value}%`;
      overlay.setOpacity(Number(ui.opacity.value) / 100);
    });
    ui.colour.addEventListener('input', () => overlay.setColour(ui.colour.value));
    overlay.setBlur(Number(ui.blur.value));
    ui.blur.addEventListener('input', () => {
      ui.blurValue.textContent = ui.blur.value;
      overlay.setBlur(Number(ui.blur.value));
    });

    ui.downloadMask.addEventListener('click', () => this.#download('mask'));
    ui.downloadCutout.addEventListener('click', () => this.#download('cutout'));
    ui.downloadView.addEventListener('click', () => this.#download(this.overlay.view));
  }

  /**
   * Offers `photos` (decoded) as the replacement background; one that is gone is replaced by
   * the colour.
   */
  setBackgrounds(photos) {
    const ids = photos.map((p) => String(p.id));
    if (ids.join() === [...this.backgrounds.keys()].join()) return;
    this.backgrounds = new Map(photos.map((p) => [String(p.id), p]));
    const chosen = this.ui.background.value;
    this.ui.background.replaceChildren(
      new Option('the colour', ''),
      ...photos.map((p) => new Option(`the photo ${p.name}`, String(p.id))),
    );
    this.ui.background.value = ids.includes(chosen) ? chosen : '';
    this.#applyBackground();
  }

  #applyBackground() {
    const photo = this.backgrounds.get(this.ui.background.value);
    this.overlay.setBackground(photo?.canvas ?? null);
    this.#enableDisplaySettings();
  }

  /** Disables the display settings the view in force does not use. */
  #enableDisplaySettings() {
    const view = this.overlay.view;
    this.ui.opacity.disabled = !USED_IN.opacity.includes(view);
    this.ui.blur.disabled = !USED_IN.blur.includes(view);
    this.ui.colour.disabled = !USED_IN.colour.includes(view) || (view === 'replace' && Boolean(this.ui.background.value));
  }

  /** Fills the selects with what the model offers (`catalog.modes`, `modeWords`, `sizes`). */
  setChoices({ modes, modeWords, sizes }) {
    this.choices = { modes, sizes };
    for (const { mode, size } of this.ui.settings) {
      buildModeOptions(mode, modes, modeWords, this.defaults.mode);
      buildSizeOptions(size, sizes, this.defaults.size);
    }
    const [{ mode, size }] = this.ui.settings;
    this.current = { mode: mode.value, size: Number(size.value) };
    this.#enableSettings(true);
  }

  /** Shows the settings in force in every pair of selects. */
  #showSettings() {
    for (const { mode, size } of this.ui.settings) {
      mode.value = this.current.mode;
      size.value = String(this.current.size);
    }
  }

  /** Lets every pair of selects be changed, or not. */
  #enableSettings(enabled) {
    for (const { mode, size } of this.ui.settings) {
      mode.disabled = !enabled;
      size.disabled = !enabled;
    }
  }

  /** The mode and size in force (the defaults before the selects are filled). */
  settings() {
    return { ...this.current };
  }

  /** Why `chosen` cannot run (`sizeText`: the size as chosen), or null when the model offers it. */
  #problem({ mode, size }, sizeText) {
    if (!this.choices) return 'the model is still loading';
    const { modes, sizes } = this.choices;
    if (!modes.includes(mode)) return `“${mode}” is not an attention mode this model offers (${modes.join(', ')}).`;
    if (!sizes.includes(size)) {
      return `“${sizeText}” is not a resolution this model offers (${sizes.map((s) => `${s} px`).join(', ')}).`;
    }
    return null;
  }

  /** Enables the download buttons when there is a mask to save. */
  setDownloadsEnabled(enabled) {
    this.ui.downloadMask.disabled = !enabled;
    this.ui.downloadCutout.disabled = !enabled;
    this.ui.downloadView.disabled = !enabled;
  }

  async #download(kind) {
    const photo = this.selectedPhoto();
    if (!photo || !this.overlay.hasMask) return;
    try {
      const blob = kind === 'mask'
        ? await this.overlay.maskPng()
        : kind === 'cutout' ? await this.overlay.cutoutPng() : await this.overlay.viewPng();
      downloadBlob(blob, downloadName(photo, kind));
    } catch (err) {
      this.onError(photo, `the ${kind} could not be saved: ${err.message}`);
    }
  }
}
